package mof

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redset/redset/schema"
)

func TestCheckFiles(t *testing.T) {
	abs, err := filepath.Abs("testdata/unknown_superclass.mof")
	if err != nil {
		t.Fatal(err)
	}
	preloadSchema := func(s Sink) error { return LoadNamespaces(s, schema.FS, schema.Namespaces) }
	tests := []struct {
		name    string
		preload func(Sink) error
		opts    Options
		paths   []string
		want    string // "" for a clean compilation
	}{
		{"nested include names the included file", nil, Options{}, []string{"testdata/nested/main.mof"},
			"testdata/nested/sub/b.mof:4:1: expected ';', found '}'\n"},
		{"absolute path kept as given", nil, Options{}, []string{abs},
			abs + ":3:30: superclass No_Such_Parent is not defined\n"},
		{"schema preloaded", preloadSchema, Options{Namespace: schema.Namespace}, []string{"testdata/user_subclass.mof"}, ""},
		{"bare: nothing to extend", nil, Options{Namespace: schema.Namespace}, []string{"testdata/user_subclass.mof"},
			"testdata/user_subclass.mof:3:24: superclass Msvm_RedundancySet is not defined\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := CheckFiles(&out, tt.preload, tt.opts, tt.paths...)
			if got := out.String(); got != tt.want || (err == nil) != (tt.want == "") {
				t.Errorf("CheckFiles: got output %q error %v, want output %q", got, err, tt.want)
			}
		})
	}
}

func TestCheckFilesPreloadError(t *testing.T) {
	var out bytes.Buffer
	boom := func(Sink) error { return &Error{Msg: "preload failed"} }
	err := CheckFiles(&out, boom, Options{}, "testdata/instances.mof")
	if err == nil || !strings.Contains(err.Error(), "preload failed") || out.Len() != 0 {
		t.Errorf("got error %v output %q, want the preload error and no output", err, out.String())
	}
}
