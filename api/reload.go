package api

import (
	"context"
	"errors"
	"net/http"
)

// ErrInvalidConfig marks a reload that was refused because the
// configuration file is invalid or unreadable. The error's text names each
// problem as "file:line: field: message", one a line; nothing was changed.
// Reload functions return errors for which errors.Is(err, ErrInvalidConfig)
// holds; the route answers them with 422 and the text as the detail.
var ErrInvalidConfig = errors.New("invalid configuration")

// ReloadFunc re-reads the server's configuration file, checks it whole and
// applies what differs from the running configuration. The server supplies
// it (Options.Reload); the API knows nothing of files.
type ReloadFunc func(ctx context.Context) (ConfigReload, error)

// ConfigReload is the answer of POST /api/v1/config/reload: what the
// reload changed. Changed is false when the file declares what is already
// running. Created, Updated and Added name objects ("set redset:web",
// "member pg-a", "pg-b to set redset:web"); WouldDelete names stored
// objects the file no longer declares (never deleted by a reload);
// RestartNeeded names fields that changed in the file but take effect only
// at the next start (listen, data, log ...).
type ConfigReload struct {
	Changed       bool     `json:"changed"`
	Summary       string   `json:"summary"`
	Created       []string `json:"created"`
	Updated       []string `json:"updated"`
	Added         []string `json:"added"`
	WouldDelete   []string `json:"wouldDelete"`
	RestartNeeded []string `json:"restartNeeded"`
}

// reloadConfig: POST /api/v1/config/reload (admin).
func (h *handler) reloadConfig(w http.ResponseWriter, r *http.Request) error {
	if h.opts.Reload == nil {
		return newProblem(http.StatusConflict, ProblemNotSupported, "Not supported",
			"this server has no configuration file to reload")
	}
	res, err := h.opts.Reload(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, res.filled())
}

// filled gives every list a value, so that the JSON has [] and not null.
func (c ConfigReload) filled() ConfigReload {
	for _, l := range []*[]string{&c.Created, &c.Updated, &c.Added, &c.WouldDelete, &c.RestartNeeded} {
		if *l == nil {
			*l = []string{}
		}
	}
	return c
}

// ReloadConfig asks the server to re-read its configuration file (admin).
// An invalid file is a *Problem with status 422 whose detail names every
// problem; the server then changed nothing.
func (c *Client) ReloadConfig(ctx context.Context) (ConfigReload, error) {
	var out ConfigReload
	err := c.do(ctx, http.MethodPost, "/config/reload", nil, &out)
	return out, err
}
