// A minimal Server-Sent Events reader over node's http.get, for tests against a listening server.

import http from 'node:http';
import { eventually } from './control-fixture.js';

export interface SseMessage {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly comments: string[] = [];
  ended = false;
  private buffer = '';

  private constructor(
    private readonly request: http.ClientRequest,
    readonly response: http.IncomingMessage,
  ) {
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => this.receive(chunk));
    response.on('end', () => (this.ended = true));
    response.on('close', () => (this.ended = true));
    response.on('error', () => (this.ended = true));
  }

  static connect(url: string, headers: Readonly<Record<string, string>> = {}): Promise<SseClient> {
    return new Promise((resolve, reject) => {
      const options = { headers: { accept: 'text/event-stream', ...headers } };
      const request = http.get(url, options, (response) =>
        resolve(new SseClient(request, response)),
      );
      request.on('error', reject);
    });
  }

  get statusCode(): number | undefined {
    return this.response.statusCode;
  }

  /** Collects the whole body (for refused connections, which answer JSON). */
  async body(): Promise<string> {
    await eventually('the response to end', () => (this.ended ? true : undefined));
    return this.buffer;
  }

  /** The first message of `event` (after `from`) matching `accept`, within the deadline. */
  next(
    event: string,
    accept: (data: Record<string, unknown>) => boolean = () => true,
    from = 0,
  ): Promise<SseMessage> {
    return eventually(`an SSE "${event}" message`, () =>
      this.messages.slice(from).find((message) => message.event === event && accept(message.data)),
    );
  }

  close(): void {
    this.request.destroy();
  }

  private receive(chunk: string): void {
    this.buffer += chunk;
    if (this.statusCode !== 200) return;
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end === -1) return;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      this.parse(block);
    }
  }

  private parse(block: string): void {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('event: ')) event = line.slice('event: '.length);
      else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
    }
    if (data.length > 0) {
      this.messages.push({ event, data: JSON.parse(data.join('\n')) as Record<string, unknown> });
    }
  }
}
