// Headers every control-plane response carries, the console's pages and the API alike.

/**
 * The console holds KILL and RESET buttons: no other site may frame it and trick a click onto them
 * (`frame-ancestors`, and `X-Frame-Options` for browsers that predate it). The rest is cheap: the
 * page loads only its own files, cannot be re-based or submit a form anywhere (its forms are handled
 * by script, so a token typed before the script runs is never sent), types are not sniffed and no
 * URL leaks in a Referer. API answers carry the same set: a JSON error page opened in a frame or
 * sniffed as HTML is the same risk.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});
