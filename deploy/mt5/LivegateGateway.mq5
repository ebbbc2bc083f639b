//+------------------------------------------------------------------+
//| LivegateGateway.mq5 — REFERENCE Expert Advisor: a livegate dial-in gateway for MetaTrader 5.     |
//|                                                                                                  |
//| READ THIS FIRST. This file is a REFERENCE, not a tested product: livegate's CI cannot compile    |
//| MQL5 (MetaEditor runs only inside a Windows MetaTrader terminal), so nothing here has been       |
//| compiled or run by livegate's tests. The protocol it speaks IS tested, end to end, against the   |
//| Node reference gateway in scripts/dial-in-gateway/ (test/e2e/cli-dial-in-gateway.test.ts).       |
//| Compile it in MetaEditor, run it on a DEMO account first, and read deploy/mt5/README.md.         |
//|                                                                                                  |
//| What it does (docs/gateway-protocol.md, "Dial-in gateways"):                                     |
//|  - dials livegate's `gateway.listen` twice, ws(s)://HOST:PORT/feed and /broker, with MQL5's      |
//|    own sockets (an EA cannot listen without a DLL, which is why livegate listens);               |
//|  - says hello with the token; streams ticks of the subscribed symbols on /feed;                  |
//|  - places, cancels and lists orders on /broker; clientOrderId -> ticket map kept in a file so a  |
//|    re-sent order is never placed twice (MT5's order comment holds only 31 characters);           |
//|  - answers every livegate heartbeat, redials after every loss;                                   |
//|  - DEAD-MAN SWITCH: after 3 x livegate's heartbeat interval with no frame from livegate, it      |
//|    deletes livegate's pending orders (this EA's magic number), and closes its positions too if   |
//|    DeadManClosePositions is true. Manual orders are never touched by the dead-man.               |
//+------------------------------------------------------------------+
#property copyright "livegate contributors (MIT)"
#property version   "1.00"
#property strict

#include <Trade/Trade.mqh>

input string LivegateHost          = "127.0.0.1";   // livegate host (gateway.listen)
input int    LivegatePort          = 9100;          // livegate port
input bool   UseTls                = false;         // livegate has gateway.tls: dial wss://
input string Token                 = "";            // LIVEGATE_GATEWAY_TOKEN of the engine
input string GatewayName           = "mt5-demo";    // hello.gateway; one name per account
input long   MagicNumber           = 7010701;       // marks livegate's orders
input int    RedialMs              = 1000;          // wait before dialling again
input int    AssumedHeartbeatMs    = 1000;          // dead-man interval until livegate says its own
input bool   DeadManClosePositions = false;         // also close livegate's positions on silence
input int    SlippagePoints        = 20;

#define ROLE_FEED   0
#define ROLE_BROKER 1

struct Link
  {
   int      socket;
   bool     open;
   int      seq;            // our outbound seq on this connection
   uchar    buffer[];       // bytes read, not yet a whole frame
   ulong    nextDialAt;     // GetTickCount64() ms
  };

Link     links[2];
string   subscribed[];
double   lastBid[];
double   lastAsk[];
ulong    lastHeardAt   = 0;   // ms, any frame from livegate on either link
int      livegateHeartbeatMs = 0;
bool     deadManFired  = false;
string   mapIds[];            // clientOrderId
ulong    mapTickets[];        // order ticket
CTrade   trade;

//+------------------------------------------------------------------+
int OnInit()
  {
   if(StringLen(Token) < 16)
     {
      Print("LivegateGateway: set Token (at least 16 characters, LIVEGATE_GATEWAY_TOKEN of the engine)");
      return(INIT_PARAMETERS_INCORRECT);
     }
   trade.SetExpertMagicNumber(MagicNumber);
   trade.SetDeviationInPoints(SlippagePoints);
   LoadOrderMap();
   for(int r = 0; r < 2; r++) { links[r].socket = INVALID_HANDLE; links[r].open = false; links[r].nextDialAt = 0; }
   EventSetMillisecondTimer(20);
   return(INIT_SUCCEEDED);
  }

void OnDeinit(const int reason)
  {
   EventKillTimer();
   for(int r = 0; r < 2; r++) CloseLink(r, 1001, "gateway stopping");
  }

void OnTimer()
  {
   for(int r = 0; r < 2; r++)
     {
      if(!links[r].open && GetTickCount64() >= links[r].nextDialAt) Dial(r);
      if(links[r].open) ReadFrames(r);
     }
   SendTicks();
   CheckDeadMan();
  }

//--- Order events: fills and ends reach livegate as they happen --------------------------
void OnTradeTransaction(const MqlTradeTransaction &tx, const MqlTradeRequest &req, const MqlTradeResult &res)
  {
   if(tx.type == TRADE_TRANSACTION_DEAL_ADD)
     {
      if(!HistoryDealSelect(tx.deal)) return;
      if(HistoryDealGetInteger(tx.deal, DEAL_MAGIC) != MagicNumber) return;
      string id = ClientIdOf((ulong)HistoryDealGetInteger(tx.deal, DEAL_ORDER));
      if(id != "") SendFill(id, tx.deal);
     }
   if(tx.type == TRADE_TRANSACTION_ORDER_DELETE && tx.order_state == ORDER_STATE_CANCELED)
     {
      string id = ClientIdOf(tx.order);
      if(id != "") Send(ROLE_BROKER, "{\"type\":\"cancelled\",\"clientOrderId\":" + Quote(id) + "}");
     }
  }

//--- The dead-man switch ------------------------------------------------------------------
void CheckDeadMan()
  {
   if(lastHeardAt == 0 || deadManFired) return;
   int interval = livegateHeartbeatMs > 0 ? livegateHeartbeatMs : AssumedHeartbeatMs;
   if(GetTickCount64() - lastHeardAt < (ulong)(3 * interval)) return;
   deadManFired = true;
   int cancelled = 0;
   for(int i = OrdersTotal() - 1; i >= 0; i--)
     {
      ulong ticket = OrderGetTicket(i);
      if(ticket == 0 || OrderGetInteger(ORDER_MAGIC) != MagicNumber) continue;
      if(trade.OrderDelete(ticket)) cancelled++;
     }
   if(DeadManClosePositions)
      for(int i = PositionsTotal() - 1; i >= 0; i--)
        {
         ulong ticket = PositionGetTicket(i);
         if(ticket != 0 && PositionGetInteger(POSITION_MAGIC) == MagicNumber) trade.PositionClose(ticket);
        }
   PrintFormat("LivegateGateway: DEAD-MAN: nothing from livegate for %I64u ms (3 x %d ms): %d order(s) deleted",
               GetTickCount64() - lastHeardAt, interval, cancelled);
   for(int r = 0; r < 2; r++) CloseLink(r, 1001, "livegate silent: dead-man fired");
  }

//--- Frames from livegate -----------------------------------------------------------------
void Handle(const int role, const string json)
  {
   lastHeardAt = GetTickCount64();
   deadManFired = false;
   string type = JsonText(json, "type");
   if(type == "heartbeat")
     {
      livegateHeartbeatMs = (int)JsonNumber(json, "intervalMs");
      Send(role, "{\"type\":\"heartbeat\",\"time\":" + Now() + "}");
      return;
     }
   if(type == "subscribe") { Subscribe(json); return; }
   if(role != ROLE_BROKER) return;
   string requestId = JsonText(json, "requestId");
   if(type == "order") PlaceOrder(json);
   else if(type == "cancel") CancelOne(requestId, JsonText(json, "clientOrderId"));
   else if(type == "cancel-all") CancelAll(requestId);
   else if(type == "open-orders") Send(ROLE_BROKER, "{\"type\":\"orders\",\"requestId\":" + Quote(requestId) + ",\"orders\":" + OpenOrdersJson() + "}");
   else if(type == "positions") Send(ROLE_BROKER, "{\"type\":\"positions\",\"requestId\":" + Quote(requestId) + ",\"positions\":" + PositionsJson() + "}");
  }

void PlaceOrder(const string json)
  {
   string id = JsonText(json, "clientOrderId");
   ulong known = TicketOf(id);
   if(known != 0) { ReplayStatus(id, known); return; }   // a re-send: a status query, never a second order
   string symbol = JsonText(json, "symbol");
   bool buy = JsonText(json, "side") == "buy";
   double volume = JsonNumber(json, "quantity");
   bool limit = JsonText(json, "orderType") == "limit";
   double price = JsonNumber(json, "price");
   string comment = "lg:" + StringSubstr(id, MathMax(0, StringLen(id) - 27));
   bool sent = limit
               ? (buy ? trade.BuyLimit(volume, price, symbol, 0, 0, ORDER_TIME_GTC, 0, comment)
                      : trade.SellLimit(volume, price, symbol, 0, 0, ORDER_TIME_GTC, 0, comment))
               : (buy ? trade.Buy(volume, symbol, 0, 0, 0, comment) : trade.Sell(volume, symbol, 0, 0, 0, comment));
   uint retcode = trade.ResultRetcode();
   ulong ticket = trade.ResultOrder();
   if(!sent || ticket == 0 || (retcode != TRADE_RETCODE_DONE && retcode != TRADE_RETCODE_PLACED && retcode != TRADE_RETCODE_DONE_PARTIAL))
     {
      Send(ROLE_BROKER, "{\"type\":\"reject\",\"clientOrderId\":" + Quote(id) + ",\"code\":\"MT5_" + IntegerToString(retcode) +
           "\",\"reason\":" + Quote(trade.ResultRetcodeDescription()) + "}");
      return;
     }
   Remember(id, ticket);
   Send(ROLE_BROKER, "{\"type\":\"ack\",\"clientOrderId\":" + Quote(id) + ",\"venueOrderId\":\"" + IntegerToString((long)ticket) + "\"}");
   // Deals of a market order arrive through OnTradeTransaction as fills, with their own ids.
  }

/** ack, every fill so far (same fillIds: livegate drops the ones it has), then cancelled if it ended so. */
void ReplayStatus(const string id, const ulong ticket)
  {
   Send(ROLE_BROKER, "{\"type\":\"ack\",\"clientOrderId\":" + Quote(id) + ",\"venueOrderId\":\"" + IntegerToString((long)ticket) + "\"}");
   if(HistorySelect(0, TimeCurrent() + 60))
     {
      for(int i = 0; i < HistoryDealsTotal(); i++)
        {
         ulong deal = HistoryDealGetTicket(i);
         if((ulong)HistoryDealGetInteger(deal, DEAL_ORDER) == ticket) SendFill(id, deal);
        }
     }
   if(!OrderSelect(ticket) && HistoryOrderSelect(ticket) &&
      HistoryOrderGetInteger(ticket, ORDER_STATE) == ORDER_STATE_CANCELED)
      Send(ROLE_BROKER, "{\"type\":\"cancelled\",\"clientOrderId\":" + Quote(id) + "}");
  }

void CancelOne(const string requestId, const string id)
  {
   ulong ticket = TicketOf(id);
   if(ticket == 0) { SendError(requestId, "UNKNOWN_ORDER", "no order " + id); return; }
   if(!OrderSelect(ticket)) { SendError(requestId, "ORDER_DONE", "order " + id + " is no longer open"); return; }
   if(!trade.OrderDelete(ticket)) { SendError(requestId, "MT5_" + IntegerToString(trade.ResultRetcode()), trade.ResultRetcodeDescription()); return; }
   Send(ROLE_BROKER, "{\"type\":\"cancelled\",\"clientOrderId\":" + Quote(id) + ",\"requestId\":" + Quote(requestId) + "}");
  }

/** The kill: every pending order of the account, livegate's or placed by hand. */
void CancelAll(const string requestId)
  {
   for(int i = OrdersTotal() - 1; i >= 0; i--)
     {
      ulong ticket = OrderGetTicket(i);
      if(ticket == 0 || !trade.OrderDelete(ticket)) continue;
      string id = ClientIdOf(ticket);
      string who = id != "" ? "\"clientOrderId\":" + Quote(id) : "\"venueOrderId\":\"" + IntegerToString((long)ticket) + "\"";
      Send(ROLE_BROKER, "{\"type\":\"cancelled\"," + who + ",\"requestId\":" + Quote(requestId) + "}");
     }
   Send(ROLE_BROKER, "{\"type\":\"orders\",\"requestId\":" + Quote(requestId) + ",\"orders\":" + OpenOrdersJson() + "}");
  }

string OpenOrdersJson()
  {
   string list = "";
   for(int i = 0; i < OrdersTotal(); i++)
     {
      ulong ticket = OrderGetTicket(i);
      if(ticket == 0) continue;
      long kind = OrderGetInteger(ORDER_TYPE);
      bool buy = kind == ORDER_TYPE_BUY || kind == ORDER_TYPE_BUY_LIMIT || kind == ORDER_TYPE_BUY_STOP || kind == ORDER_TYPE_BUY_STOP_LIMIT;
      string id = ClientIdOf(ticket);
      list += (list == "" ? "" : ",") + "{" + (id == "" ? "" : "\"clientOrderId\":" + Quote(id) + ",") +
              "\"venueOrderId\":\"" + IntegerToString((long)ticket) + "\",\"symbol\":" + Quote(OrderGetString(ORDER_SYMBOL)) +
              ",\"side\":\"" + (buy ? "buy" : "sell") + "\",\"quantity\":" + DoubleToString(OrderGetDouble(ORDER_VOLUME_CURRENT), 8) +
              ",\"orderType\":\"limit\",\"price\":" + DoubleToString(OrderGetDouble(ORDER_PRICE_OPEN), 8) + "}";
     }
   return "[" + list + "]";
  }

/** Net per symbol, signed: long > 0 (hedging accounts add their buy and sell positions). */
string PositionsJson()
  {
   string symbols[]; double net[];
   for(int i = 0; i < PositionsTotal(); i++)
     {
      if(PositionGetTicket(i) == 0) continue;
      string symbol = PositionGetString(POSITION_SYMBOL);
      double volume = PositionGetDouble(POSITION_VOLUME) * (PositionGetInteger(POSITION_TYPE) == POSITION_TYPE_BUY ? 1 : -1);
      int at = -1;
      for(int k = 0; k < ArraySize(symbols); k++) if(symbols[k] == symbol) at = k;
      if(at < 0) { at = ArraySize(symbols); ArrayResize(symbols, at + 1); ArrayResize(net, at + 1); net[at] = 0; symbols[at] = symbol; }
      net[at] += volume;
     }
   string list = "";
   for(int k = 0; k < ArraySize(symbols); k++)
      list += (k == 0 ? "" : ",") + "{\"symbol\":" + Quote(symbols[k]) + ",\"quantity\":" + DoubleToString(net[k], 8) + "}";
   return "[" + list + "]";
  }

void SendFill(const string id, const ulong deal)
  {
   bool buy = HistoryDealGetInteger(deal, DEAL_TYPE) == DEAL_TYPE_BUY;
   double fee = -(HistoryDealGetDouble(deal, DEAL_COMMISSION) + HistoryDealGetDouble(deal, DEAL_FEE));
   Send(ROLE_BROKER, "{\"type\":\"fill\",\"clientOrderId\":" + Quote(id) + ",\"fillId\":\"" + IntegerToString((long)deal) +
        "\",\"symbol\":" + Quote(HistoryDealGetString(deal, DEAL_SYMBOL)) + ",\"side\":\"" + (buy ? "buy" : "sell") +
        "\",\"quantity\":" + DoubleToString(HistoryDealGetDouble(deal, DEAL_VOLUME), 8) +
        ",\"price\":" + DoubleToString(HistoryDealGetDouble(deal, DEAL_PRICE), 8) +
        ",\"time\":" + IntegerToString(HistoryDealGetInteger(deal, DEAL_TIME_MSC)) +
        ",\"fee\":" + DoubleToString(fee, 8) + ",\"feeCurrency\":" + Quote(AccountInfoString(ACCOUNT_CURRENCY)) + "}");
  }

void SendError(const string requestId, const string code, const string reason)
  {
   Send(ROLE_BROKER, "{\"type\":\"error\",\"requestId\":" + Quote(requestId) + ",\"code\":" + Quote(code) + ",\"reason\":" + Quote(reason) + "}");
  }

//--- Feed -------------------------------------------------------------------------------
void Subscribe(const string json)
  {
   ArrayResize(subscribed, 0);
   int start = StringFind(json, "\"symbols\"");
   int open = StringFind(json, "[", start), close = StringFind(json, "]", open);
   if(start < 0 || open < 0 || close < 0) return;
   string items[];
   int count = StringSplit(StringSubstr(json, open + 1, close - open - 1), ',', items);
   for(int i = 0; i < count; i++)
     {
      string symbol = items[i];
      StringReplace(symbol, "\"", "");
      StringTrimLeft(symbol); StringTrimRight(symbol);
      if(symbol == "") continue;
      if(!SymbolSelect(symbol, true))
        { Send(ROLE_FEED, "{\"type\":\"error\",\"code\":\"UNKNOWN_SYMBOL\",\"reason\":" + Quote(symbol + " is not in Market Watch") + "}"); continue; }
      int n = ArraySize(subscribed);
      ArrayResize(subscribed, n + 1); subscribed[n] = symbol;
     }
   ArrayResize(lastBid, ArraySize(subscribed)); ArrayInitialize(lastBid, 0);
   ArrayResize(lastAsk, ArraySize(subscribed)); ArrayInitialize(lastAsk, 0);
  }

void SendTicks()
  {
   if(!links[ROLE_FEED].open) return;
   for(int i = 0; i < ArraySize(subscribed); i++)
     {
      MqlTick tick;
      if(!SymbolInfoTick(subscribed[i], tick) || tick.bid <= 0 || tick.ask < tick.bid) continue;
      if(tick.bid == lastBid[i] && tick.ask == lastAsk[i]) continue;
      lastBid[i] = tick.bid; lastAsk[i] = tick.ask;
      Send(ROLE_FEED, "{\"type\":\"tick\",\"symbol\":" + Quote(subscribed[i]) + ",\"bid\":" + DoubleToString(tick.bid, 8) +
           ",\"ask\":" + DoubleToString(tick.ask, 8) + ",\"time\":" + IntegerToString(tick.time_msc) + "}");
     }
  }

//--- clientOrderId <-> ticket, kept in MQL5/Files so a restarted EA still de-duplicates ----------
string MapFile() { return "livegate-" + IntegerToString(AccountInfoInteger(ACCOUNT_LOGIN)) + ".csv"; }

void LoadOrderMap()
  {
   int file = FileOpen(MapFile(), FILE_READ | FILE_CSV | FILE_ANSI, ',');
   if(file == INVALID_HANDLE) return;
   while(!FileIsEnding(file))
     {
      string id = FileReadString(file);
      ulong ticket = (ulong)StringToInteger(FileReadString(file));
      if(id != "" && ticket != 0) { int n = ArraySize(mapIds); ArrayResize(mapIds, n + 1); ArrayResize(mapTickets, n + 1); mapIds[n] = id; mapTickets[n] = ticket; }
     }
   FileClose(file);
  }

void Remember(const string id, const ulong ticket)
  {
   int n = ArraySize(mapIds);
   ArrayResize(mapIds, n + 1); ArrayResize(mapTickets, n + 1);
   mapIds[n] = id; mapTickets[n] = ticket;
   int file = FileOpen(MapFile(), FILE_READ | FILE_WRITE | FILE_CSV | FILE_ANSI, ',');
   if(file == INVALID_HANDLE) { Print("LivegateGateway: cannot write ", MapFile(), ": re-sends after a restart may not be recognised"); return; }
   FileSeek(file, 0, SEEK_END);
   FileWrite(file, id, IntegerToString((long)ticket));
   FileClose(file);
  }

ulong TicketOf(const string id) { for(int i = ArraySize(mapIds) - 1; i >= 0; i--) if(mapIds[i] == id) return mapTickets[i]; return 0; }
string ClientIdOf(const ulong ticket) { for(int i = ArraySize(mapTickets) - 1; i >= 0; i--) if(mapTickets[i] == ticket) return mapIds[i]; return ""; }

//--- WebSocket client over MQL5 sockets (RFC 6455: masked client frames, text only) ----------
void Dial(const int role)
  {
   links[role].nextDialAt = GetTickCount64() + RedialMs;
   int socket = SocketCreate();
   if(socket == INVALID_HANDLE) return;
   // The terminal must allow the address: Tools > Options > Expert Advisors > "Allow WebRequest"/sockets list.
   if(!SocketConnect(socket, LivegateHost, LivegatePort, 3000) || (UseTls && !SocketTlsHandshake(socket, LivegateHost)))
     { SocketClose(socket); return; }
   string path = role == ROLE_FEED ? "/feed" : "/broker";
   uchar nonce[16]; for(int i = 0; i < 16; i++) nonce[i] = (uchar)MathRand();
   uchar key[], none[]; CryptEncode(CRYPT_BASE64, nonce, none, key);
   string request = "GET " + path + " HTTP/1.1\r\nHost: " + LivegateHost + ":" + IntegerToString(LivegatePort) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " +
                    CharArrayToString(key) + "\r\n\r\n";
   uchar bytes[]; int length = StringToCharArray(request, bytes, 0, WHOLE_ARRAY, CP_UTF8) - 1;
   if(!SendRaw(socket, bytes, length)) { SocketClose(socket); return; }
   string answer = "";
   ulong deadline = GetTickCount64() + 3000;
   while(StringFind(answer, "\r\n\r\n") < 0 && GetTickCount64() < deadline)
     {
      uchar chunk[]; int got = ReadRaw(socket, chunk, 1);
      if(got > 0) answer += CharArrayToString(chunk, 0, got, CP_UTF8);
     }
   if(StringFind(answer, " 101 ") < 0) { PrintFormat("LivegateGateway: %s refused: %s", path, StringSubstr(answer, 0, 60)); SocketClose(socket); return; }
   links[role].socket = socket; links[role].open = true; links[role].seq = 0; ArrayResize(links[role].buffer, 0);
   Send(role, "{\"type\":\"hello\",\"protocol\":1,\"gateway\":" + Quote(GatewayName) + ",\"token\":" + Quote(Token) + "}");
  }

void ReadFrames(const int role)
  {
   uint readable = SocketIsReadable(links[role].socket);
   if(readable > 0)
     {
      uchar chunk[]; int got = ReadRaw(links[role].socket, chunk, (int)readable);
      if(got < 0) { CloseLink(role, 1006, ""); return; }
      int had = ArraySize(links[role].buffer); ArrayResize(links[role].buffer, had + got); ArrayCopy(links[role].buffer, chunk, had, 0, got);
     }
   else if(!SocketIsConnected(links[role].socket)) { CloseLink(role, 1006, ""); return; }
   for(;;)
     {
      int size = ArraySize(links[role].buffer);
      if(size < 2) return;
      int opcode = links[role].buffer[0] & 0x0F;
      long length = links[role].buffer[1] & 0x7F; int header = 2;
      if(length == 126) { if(size < 4) return; length = (links[role].buffer[2] << 8) | links[role].buffer[3]; header = 4; }
      else if(length == 127) { if(size < 10) return; length = 0; for(int i = 2; i < 10; i++) length = (length << 8) | links[role].buffer[i]; header = 10; }
      if(size < header + length) return;   // livegate never sends fragmented frames
      string text = CharArrayToString(links[role].buffer, header, (int)length, CP_UTF8);
      ArrayRemove(links[role].buffer, 0, header + (int)length);
      if(opcode == 0x8) { PrintFormat("LivegateGateway: livegate closed %s: %s", role == ROLE_FEED ? "/feed" : "/broker", text); CloseLink(role, 1000, ""); return; }
      if(opcode == 0x9) { SendFrame(role, 0xA, text); continue; }
      if(opcode == 0x1) Handle(role, text);
     }
  }

/** Adds type-first seq and sends: `{"type":...,"seq":N,...}`. */
void Send(const int role, const string json)
  {
   if(!links[role].open) return;
   links[role].seq++;
   int comma = StringFind(json, ",");
   string numbered = comma < 0 ? StringSubstr(json, 0, StringLen(json) - 1) + ",\"seq\":" + IntegerToString(links[role].seq) + "}"
                               : StringSubstr(json, 0, comma) + ",\"seq\":" + IntegerToString(links[role].seq) + StringSubstr(json, comma);
   SendFrame(role, 0x1, numbered);
  }

void SendFrame(const int role, const int opcode, const string text)
  {
   uchar payload[]; int length = StringToCharArray(text, payload, 0, WHOLE_ARRAY, CP_UTF8) - 1;
   uchar frame[]; int header = length < 126 ? 2 : (length < 65536 ? 4 : 10);
   ArrayResize(frame, header + 4 + length);
   frame[0] = (uchar)(0x80 | opcode);
   if(length < 126) frame[1] = (uchar)(0x80 | length);
   else if(length < 65536) { frame[1] = 0x80 | 126; frame[2] = (uchar)(length >> 8); frame[3] = (uchar)(length & 0xFF); }
   else { frame[1] = 0x80 | 127; for(int i = 0; i < 8; i++) frame[2 + i] = (uchar)((long)length >> (8 * (7 - i)) & 0xFF); }
   uchar mask[4]; for(int i = 0; i < 4; i++) { mask[i] = (uchar)MathRand(); frame[header + i] = mask[i]; }
   for(int i = 0; i < length; i++) frame[header + 4 + i] = payload[i] ^ mask[i % 4];
   if(!SendRaw(links[role].socket, frame, header + 4 + length)) CloseLink(role, 1006, "");
  }

void CloseLink(const int role, const int code, const string reason)
  {
   if(links[role].socket == INVALID_HANDLE) return;
   // A close frame without a status code is valid; the reason goes to the Experts log instead.
   if(links[role].open && code != 1006) SendFrame(role, 0x8, "");
   if(reason != "") PrintFormat("LivegateGateway: closing %s: %s", role == ROLE_FEED ? "/feed" : "/broker", reason);
   SocketClose(links[role].socket);
   links[role].socket = INVALID_HANDLE; links[role].open = false;
   links[role].nextDialAt = GetTickCount64() + RedialMs;
  }

bool SendRaw(const int socket, uchar &bytes[], const int length)
  {
   return (UseTls ? SocketTlsSend(socket, bytes, length) : SocketSend(socket, bytes, length)) == length;
  }

int ReadRaw(const int socket, uchar &bytes[], const int length)
  {
   return UseTls ? SocketTlsRead(socket, bytes, length) : SocketRead(socket, bytes, length, 10);
  }

//--- Minimal JSON: livegate's frames are flat objects with string and number fields ---------
string JsonText(const string json, const string name)
  {
   int at = StringFind(json, "\"" + name + "\":\"");
   if(at < 0) return "";
   int start = at + StringLen(name) + 4, end = StringFind(json, "\"", start);
   return end < 0 ? "" : StringSubstr(json, start, end - start);
  }

double JsonNumber(const string json, const string name)
  {
   int at = StringFind(json, "\"" + name + "\":");
   if(at < 0) return 0;
   return StringToDouble(StringSubstr(json, at + StringLen(name) + 3, 32));
  }

string Quote(const string text)
  {
   string escaped = text;
   StringReplace(escaped, "\\", "\\\\");
   StringReplace(escaped, "\"", "\\\"");
   return "\"" + escaped + "\"";
  }

string Now() { return IntegerToString((long)TimeGMT() * 1000); }   // epoch ms (second resolution)
//+------------------------------------------------------------------+
