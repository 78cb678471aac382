package deploytest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSystemdUnit has systemd-analyze read the unit: it reports unknown or
// malformed options (and still exits 0, so its output is what counts).
func TestSystemdUnit(t *testing.T) {
	bin := needTool(t, "systemd-analyze", "scripts/ensure-deploy-tools.sh")
	unit, err := os.ReadFile(filepath.Join(deployDir(t), "sesame.service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ExecStart=/usr/local/bin/sesame serve", "DynamicUser=yes", "StateDirectory=sesame", "ProtectSystem=strict", "NoNewPrivileges=yes", "TimeoutStopSec=25s"} {
		if !bytes.Contains(unit, []byte("\n"+want+"\n")) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	// verify wants ExecStart's program to exist: point it at one that does.
	dir := t.TempDir()
	file := filepath.Join(dir, "sesame.service")
	if err := os.WriteFile(file, bytes.ReplaceAll(unit, []byte("/usr/local/bin/sesame"), []byte("/bin/true")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "verify", "--man=no", file).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "" {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
