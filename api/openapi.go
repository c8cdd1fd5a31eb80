package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
	"strconv"
)

// openAPIDocument is the OpenAPI 3.1 description of every route, written by
// hand and checked against the route table by the tests.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the embedded OpenAPI 3.1 document.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// documentFor returns the document with info.version set to version (the
// document unchanged when version is empty or the document cannot be
// edited).
func documentFor(version string) []byte {
	if version == "" {
		return openAPIDocument
	}
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		return openAPIDocument
	}
	info, ok := doc["info"].(map[string]any)
	if !ok {
		return openAPIDocument
	}
	info["version"] = version
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return openAPIDocument
	}
	return out
}

// serveOpenAPI: GET /api/v1/openapi.json, without authentication.
func (h *handler) serveOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(h.openapi)))
	_, _ = w.Write(h.openapi)
	return nil
}
