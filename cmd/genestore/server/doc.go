// Package server is genestore's JSON HTTP API: the CLI's queries as GET
// routes over a query.Engine (see openapi.yaml, served at /v1/openapi.yaml).
//
// # Basics
//
// New validates Options and registers the routes on a Go 1.22 http.ServeMux
// ("GET /v1/genes/{symbol}/neighbors", ...); Server.HTTPServer wraps it in an
// http.Server with the options' timeouts. Answers are the query package's
// structs as JSON; errors are {"error": "..."} with 400 (bad parameter), 401
// (token), 404 (unknown gene, cell, dataset, route, or a clustering not
// computed), 409 (model versions differ), 403 (write to a read-only store),
// 504 (request timeout) or 500.
//
// # Browser UI
//
// The same handler serves a browser UI: the page at / and its ES modules and
// style sheet at /ui/, files under ui/static embedded with go:embed (no
// build step, no library). The page reads the API, plus routes of its own
// answered by Options.UI (an interface the serve command implements over the
// store): /v1/ui/overview, /v1/genes?prefix= (completion), the stored maps
// /v1/maps/{space} with /coords (float32 pairs), /colour and /points/{i},
// and /v1/maps/cells/markers?polygon= (the lasso: the cells inside a
// polygon and the top genes of their mean vector). ui/e2e holds its
// Playwright tests, run by .ci/run.
//
// # Safety
//
//   - Read-only by default: the only write route, POST /v1/clusters/{space},
//     is registered only with Options.AllowWrites.
//   - Loopback by default; Validate refuses a non-loopback address without
//     a Token, and with one every route but /healthz and the UI's page and
//     files (which hold no store data) needs "Authorization: Bearer
//     <token>" (compared in constant time); the page asks for the token.
//     Without a token a request must name a loopback host (421 otherwise:
//     a DNS name rebound to 127.0.0.1) and carry no foreign Origin (403: a
//     request another web page makes).
//   - The UI's files carry a Content-Security-Policy that lets the page
//     talk to this server only: no request leaves the machine.
//   - Request bodies are capped (http.MaxBytesReader), headers by
//     MaxHeaderBytes; the server has read-header, read, write and idle
//     timeouts, and every request's context has RequestTimeout.
//   - A panic in a handler is recovered and answered with a 500.
//
// # Caveats
//
// Tokens travel in clear text: put a TLS proxy in front of a non-loopback
// server. Cluster routes only read stored clusterings unless writes are
// allowed (compute them with `genestore clusters`).
package server
