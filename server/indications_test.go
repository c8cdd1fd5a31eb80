package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redset/redset/indication"
)

// TestREADMEIndicationsExample: the bound on subscriptions the README
// shows is valid and the default.
func TestREADMEIndicationsExample(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Skipf("no README: %v", err)
	}
	_, rest, _ := strings.Cut(string(data), "### Indication subscriptions")
	_, block, found := strings.Cut(rest, "```yaml\n")
	block, _, closed := strings.Cut(block, "```")
	if !found || !closed {
		t.Fatalf("the README's Indication subscriptions section has no yaml block")
	}
	cfg, err := ParseConfig("README.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Indications.MaxSubscriptionsPerUser != indication.DefaultMaxPerUser {
		t.Errorf("the README's maxSubscriptionsPerUser is %d, the default %d", cfg.Indications.MaxSubscriptionsPerUser, indication.DefaultMaxPerUser)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the README's indications settings do not validate: %v", err)
	}
}
