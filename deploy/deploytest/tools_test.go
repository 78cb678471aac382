package deploytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// deployDir is the repository's deploy/ directory.
func deployDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// needTool finds a command the Makefile installs; `make test-deploy` sets
// SESAME_REQUIRE_DEPLOY_TOOLS, so there a missing one fails instead of
// skipping.
func needTool(t *testing.T, name, installer string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	msg := name + " missing: run " + installer
	if os.Getenv("SESAME_REQUIRE_DEPLOY_TOOLS") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}
