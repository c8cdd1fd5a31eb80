package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"time"
)

//go:embed static
var staticFS embed.FS

//go:embed templates
var templateFS embed.FS

// asset is one embedded static file with its content type and version (a
// prefix of its SHA-256, which is also its ETag).
type asset struct {
	body    []byte
	ctype   string
	version string
}

// assets are the static files by name.
type assets map[string]asset

var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
}

// loadAssets reads the embedded static files. The files are part of the
// binary, so a read error is a build defect and panics.
func loadAssets() assets {
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		panic("web: embedded assets: " + err.Error())
	}
	out := assets{}
	for _, e := range entries {
		body, err := fs.ReadFile(staticFS, "static/"+e.Name())
		if err != nil {
			panic("web: embedded asset " + e.Name() + ": " + err.Error())
		}
		sum := sha256.Sum256(body)
		ctype, ok := contentTypes[path.Ext(e.Name())]
		if !ok {
			ctype = "application/octet-stream"
		}
		out[e.Name()] = asset{body: body, ctype: ctype, version: hex.EncodeToString(sum[:8])}
	}
	return out
}

// url is the versioned address of a static file, for the templates.
func (a assets) url(name string) (string, error) {
	f, ok := a[name]
	if !ok {
		return "", fs.ErrNotExist
	}
	return "/static/" + name + "?v=" + f.version, nil
}

// serveAsset answers GET /static/{name}. A request naming the current
// version may be cached for a year; any other revalidates by ETag.
func (h *handler) serveAsset(w http.ResponseWriter, r *http.Request) {
	f, ok := h.assets[r.PathValue("name")]
	if !ok {
		h.notFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("ETag", `"`+f.version+`"`)
	if r.URL.Query().Get("v") == f.version {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
}

// parseTemplates parses the embedded templates. They are part of the
// binary, so a parse error is a build defect and panics.
func parseTemplates(a assets) *template.Template {
	funcs := template.FuncMap{"asset": a.url}
	return template.Must(template.New("").Funcs(funcs).Funcs(viewFuncs).ParseFS(templateFS, "templates/*.html"))
}
