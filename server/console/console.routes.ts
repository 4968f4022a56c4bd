// The web console: the static build of console/ (a client of /v1 only), served at /console with
// a strict Content-Security-Policy and an index.html fallback for the console's own routes.
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';
import helmet from 'helmet';

export const CONSOLE_PATH = '/console';

/** What /console answers, and the server logs, while console/dist has not been built. */
export const CONSOLE_NOT_BUILT =
  'The web console has not been built: run `npm run build:console` (npm install runs it) and restart the server.';

export function consoleIsBuilt(consoleDir: string): boolean {
  return existsSync(path.join(consoleDir, 'index.html'));
}

export function createConsoleRouter(consoleDir: string): Router {
  const router = express.Router();
  // Only the console's own bundled files: no inline script or style, no CDN, no framing.
  router.use(
    helmet.contentSecurityPolicy({
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    }),
  );

  router.use((req, res, next) => {
    if (consoleIsBuilt(consoleDir)) return next();
    res.status(503).type('text/plain').set('Cache-Control', 'no-store').send(`${CONSOLE_NOT_BUILT}\n`);
  });

  // Hashed file names under assets/ never change; index.html must always be fetched again.
  router.use(
    '/assets',
    express.static(path.join(consoleDir, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false, index: false }),
  );
  router.use(express.static(consoleDir, { index: false, maxAge: 0 }));
  router.get('/{*rest}', (req, res, next) => {
    // A missing file with an extension is a 404, not the app.
    if (path.extname(req.path) !== '') return next();
    res.set('Cache-Control', 'no-store').sendFile(path.join(consoleDir, 'index.html'));
  });
  return router;
}
