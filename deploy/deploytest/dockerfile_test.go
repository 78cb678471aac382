package deploytest

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDockerfile checks what the issue asks of the image (no Docker daemon
// here to build it): the final stage is distroless as uid 65532, the data
// directory belongs to that uid, the health check runs the binary, and the
// binary built with the Dockerfile's own build line is static.
func TestDockerfile(t *testing.T) {
	text, err := os.ReadFile(filepath.Join(deployDir(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	df := string(text)
	final := df[strings.LastIndex(df, "\nFROM "):]
	for _, want := range []string{
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"COPY --from=build --chown=65532:65532 /out/data /data",
		"USER 65532:65532",
		`HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/sesame", "healthcheck"]`,
		`ENTRYPOINT ["/usr/local/bin/sesame"]`,
	} {
		if !strings.Contains(final, want) {
			t.Errorf("final stage lacks %q", want)
		}
	}

	// The build line, with the version variable filled in.
	m := regexp.MustCompile(`RUN (CGO_ENABLED=0 go build [^\n\\]*)`).FindStringSubmatch(df)
	if m == nil {
		t.Fatal("no CGO_ENABLED=0 go build line")
	}
	line := strings.ReplaceAll(m[1], "${VERSION}", "deploytest")
	fields := regexp.MustCompile(`"[^"]*"|\S+`).FindAllString(line, -1)
	var args []string
	for _, f := range fields[1:] { // fields[0] is CGO_ENABLED=0
		args = append(args, strings.Trim(f, `"`))
	}
	out := filepath.Join(t.TempDir(), "sesame")
	for i, a := range args {
		switch {
		case a == "-o":
			args[i+1] = out
		case a == "./cmd/sesame":
			args[i] = "github.com/sesame-idp/sesame/cmd/sesame"
		}
	}
	build := exec.Command(args[0], args[1:]...)
	build.Dir = filepath.Join(deployDir(t), "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", line, err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (%v)", p.Type)
		}
	}
	// -X main.version reached the binary, and the health check is in it.
	v, err := exec.Command(out, "version").Output()
	if err != nil || strings.TrimSpace(string(v)) != "sesame deploytest" {
		t.Errorf("sesame version = %q, %v", v, err)
	}
	if h, err := exec.Command(out, "healthcheck", "--help").CombinedOutput(); err != nil || !strings.Contains(string(h), "/healthz") {
		t.Errorf("sesame healthcheck --help: %v\n%s", err, h)
	}
}
