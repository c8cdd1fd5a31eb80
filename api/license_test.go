package api

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// The repository's LICENSE is the license the OpenAPI document names.
func TestLicenseMatchesTheDocument(t *testing.T) {
	doc := loadDocument(t)
	id, _ := at(t, doc, "info", "license", "identifier").(string)
	if id != "Apache-2.0" {
		t.Fatalf("info.license.identifier = %q; this test knows the text of Apache-2.0 only", id)
	}
	data, err := os.ReadFile(filepath.Join("..", "LICENSE"))
	if err != nil {
		t.Fatalf("the repository has no LICENSE: %v", err)
	}
	for _, want := range []string{`(?m)^\s+Apache License\n\s+Version 2\.0, January 2004$`, `TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION`, `END OF TERMS AND CONDITIONS`} {
		if !regexp.MustCompile(want).Match(data) {
			t.Errorf("LICENSE lacks %q: it is not the Apache License 2.0 the document names", want)
		}
	}
}
