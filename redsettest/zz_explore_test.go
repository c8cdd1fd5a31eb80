package redsettest_test

import (
	"os"
	"testing"

	"github.com/redset/redset/redsettest"
)

func TestZZExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	srv := redsettest.Start(t, redsettest.Options{Demo: true})
	waitAllOK(t, srv.Engine(), "redset:demo-web", "redset:demo-db", "redset:demo-lb")
	os.WriteFile("/tmp/explore/url", []byte(srv.URL), 0o644)
	<-make(chan struct{}, 0)
}
