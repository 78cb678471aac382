package deploytest

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// composeConfig runs `docker-compose -f file config` (no daemon needed) with
// only the given variables, and returns what Compose would run.
func composeConfig(t *testing.T, file string, env ...string) (map[string]any, string, error) {
	t.Helper()
	bin := needTool(t, "docker-compose", "scripts/ensure-docker-compose.sh")
	cmd := exec.Command(bin, "-f", file, "config")
	cmd.Dir = deployDir(t)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, stderr.String(), err
	}
	var m map[string]any
	if err := yaml.Unmarshal(out, &m); err != nil {
		t.Fatalf("%s: %v\n%s", file, err, out)
	}
	return m, stderr.String(), nil
}

func dig(m any, path ...string) any {
	for _, p := range path {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[p]
	}
	return m
}

func TestComposeFiles(t *testing.T) {
	for _, c := range []struct {
		file     string
		env      []string
		missing  string // a required variable: config fails without it
		postgres bool
	}{
		{"docker-compose.yml", []string{"SESAME_URL=https://idp.example.com", "SESAME_DB_PASSWORD=0a1b2c"}, "SESAME_DB_PASSWORD", true},
		{"docker-compose.sqlite.yml", []string{"SESAME_URL=https://idp.example.com"}, "SESAME_URL", false},
	} {
		t.Run(c.file, func(t *testing.T) {
			cfg, stderr, err := composeConfig(t, c.file, c.env...)
			if err != nil {
				t.Fatalf("config: %v\n%s", err, stderr)
			}
			if strings.Contains(strings.ToLower(stderr), "warn") {
				t.Errorf("docker-compose warns:\n%s", stderr)
			}
			s := dig(cfg, "services", "sesame")
			if s == nil {
				t.Fatal("no sesame service")
			}
			env := dig(s, "environment").(map[string]any)
			if env["SESAME_URL"] != "https://idp.example.com" {
				t.Errorf("SESAME_URL = %v", env["SESAME_URL"])
			}
			if dig(s, "build", "dockerfile") != "deploy/Dockerfile" {
				t.Errorf("build = %v, want the repository's deploy/Dockerfile", dig(s, "build"))
			}
			// The image's uid, a read-only root and the one writable place.
			if dig(s, "user") != "65532:65532" || dig(s, "read_only") != true {
				t.Errorf("user %v, read_only %v", dig(s, "user"), dig(s, "read_only"))
			}
			if tmp, _ := dig(s, "tmpfs").([]any); len(tmp) != 1 || tmp[0] != "/tmp" {
				t.Errorf("tmpfs = %v, want /tmp", dig(s, "tmpfs"))
			}
			vols, _ := dig(s, "volumes").([]any)
			if c.postgres != (len(vols) == 0) {
				t.Errorf("volumes = %v", vols)
			}
			if !c.postgres && (len(vols) != 1 || !strings.HasPrefix(vols[0].(string), "sesame-data:/data") || env["SESAME_DATA"] != "/data") {
				t.Errorf("SQLite data: volumes %v, SESAME_DATA %v", vols, env["SESAME_DATA"])
			}
			// The master key comes from a secret file, whose path Sesame is told.
			secrets, _ := dig(s, "secrets").([]any)
			if len(secrets) != 1 || dig(secrets[0], "source") != "sesame_master_key" || env["SESAME_MASTER_KEY_FILE"] != "/run/secrets/sesame_master_key" {
				t.Errorf("secrets %v, SESAME_MASTER_KEY_FILE %v", secrets, env["SESAME_MASTER_KEY_FILE"])
			}
			if f, _ := dig(cfg, "secrets", "sesame_master_key", "file").(string); !strings.HasSuffix(f, "/deploy/secrets/master.key") {
				t.Errorf("secret file = %q", f)
			}
			// The health check runs the binary (no shell in the image).
			if hc, _ := dig(s, "healthcheck", "test").([]any); len(hc) != 3 || hc[0] != "CMD" || hc[1] != "/usr/local/bin/sesame" || hc[2] != "healthcheck" {
				t.Errorf("healthcheck = %v", hc)
			}
			// Docker must not SIGKILL before the shutdown grace has run out.
			grace, err1 := time.ParseDuration(env["SESAME_SHUTDOWN_GRACE"].(string))
			stop, err2 := time.ParseDuration(dig(s, "stop_grace_period").(string))
			if err1 != nil || err2 != nil || stop < grace+5*time.Second {
				t.Errorf("stop_grace_period %v, shutdown grace %v: want the stop period at least 5s longer", stop, grace)
			}
			if c.postgres {
				url, _ := env["SESAME_DATABASE_URL"].(string)
				if url != "postgres://sesame:0a1b2c@postgres:5432/sesame?sslmode=disable" {
					t.Errorf("SESAME_DATABASE_URL = %q", url)
				}
				if dig(s, "depends_on", "postgres", "condition") != "service_healthy" {
					t.Errorf("depends_on = %v", dig(s, "depends_on"))
				}
				pg := dig(cfg, "services", "postgres")
				if dig(pg, "environment", "POSTGRES_PASSWORD") != "0a1b2c" || dig(pg, "healthcheck") == nil {
					t.Errorf("postgres = %v", pg)
				}
			}
			// A required variable left out stops Compose with a message.
			var env2 []string
			for _, e := range c.env {
				if !strings.HasPrefix(e, c.missing+"=") {
					env2 = append(env2, e)
				}
			}
			if _, stderr, err := composeConfig(t, c.file, env2...); err == nil || !strings.Contains(stderr, c.missing) {
				t.Errorf("without %s: err %v, stderr %q", c.missing, err, stderr)
			}
		})
	}
}
