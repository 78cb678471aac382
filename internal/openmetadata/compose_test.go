package openmetadata

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// composeTools finds Debian's docker-compose, and python3 with PyYAML to
// turn what it prints into JSON. `make test` installs both
// (scripts/ensure-docker-compose.sh) and sets SESAME_REQUIRE_COMPOSE, so there a
// missing tool fails the test instead of skipping it.
func composeTools(t *testing.T) {
	t.Helper()
	_, err1 := exec.LookPath("docker-compose")
	err2 := exec.Command("python3", "-c", "import yaml").Run()
	if err1 == nil && err2 == nil {
		return
	}
	msg := fmt.Sprintf("docker-compose (%v) or python3 with yaml (%v) missing: run scripts/ensure-docker-compose.sh", err1, err2)
	if os.Getenv("SESAME_REQUIRE_COMPOSE") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// yamlToJSON parses YAML documents with PyYAML, in one python3 (each start
// costs seconds on a loaded machine).
func yamlToJSON(t *testing.T, docs ...[]byte) []map[string]any {
	t.Helper()
	in, _ := json.Marshal(func() []string {
		var s []string
		for _, d := range docs {
			s = append(s, string(d))
		}
		return s
	}())
	cmd := exec.Command("python3", "-c", "import sys, json, yaml; json.dump([yaml.safe_load(d) for d in json.load(sys.stdin)], sys.stdout)")
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("parse YAML: %v\n%s", err, in)
	}
	var m []map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// composeConfigs runs `docker-compose -f … config` (no daemon needed) for
// each list of files, at once, in dir, with nothing of this process's
// environment that could feed ${VAR}, and returns the merged
// openmetadata-server service of each.
func composeConfigs(t *testing.T, dir string, runs ...[]string) []map[string]any {
	t.Helper()
	outs := make([][]byte, len(runs))
	errs := make([]error, len(runs))
	var wg sync.WaitGroup
	for i, files := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{}
			for _, f := range files {
				args = append(args, "-f", f)
			}
			cmd := exec.Command("docker-compose", append(args, "config")...)
			cmd.Dir = dir
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if outs[i], errs[i] = cmd.Output(); errs[i] != nil {
				errs[i] = fmt.Errorf("docker-compose %v config: %v\n%s", files, errs[i], stderr.String())
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var svcs []map[string]any
	for i, doc := range yamlToJSON(t, outs...) {
		svc, _ := doc["services"].(map[string]any)[composeService].(map[string]any)
		if svc == nil {
			t.Fatalf("no %s service in:\n%s", composeService, outs[i])
		}
		svcs = append(svcs, svc)
	}
	return svcs
}

// mounts lists a service's volumes as "source:target[:ro]", whichever
// syntax the Compose version prints.
func mounts(svc map[string]any) []string {
	var out []string
	list, _ := svc["volumes"].([]any)
	for _, v := range list {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case map[string]any:
			s := fmt.Sprintf("%v:%v", v["source"], v["target"])
			if v["read_only"] == true {
				s += ":ro"
			}
			out = append(out, s)
		}
	}
	return out
}

func fieldResult(t *testing.T, orgURL string, allowInternal bool) *Result {
	return &Result{
		Options: Options{OrgURL: orgURL, OMURL: "http://metadata.example.com:8585", Name: "OpenMetadata",
			AdminEmails: []string{"dana@acme.example"}, OutDir: t.TempDir()},
		Issuer: orgURL + "/oauth2/ausAbc123", ClientID: "0oaSpa123", BotClientID: "0oaBot456", BotEmail: "ingestion-bot@acme.example",
		JWTKeyID: "kid-of-om", EnforcePrincipalDomain: true, AllowInternal: allowInternal,
	}
}

// TestComposeOverrideTakesEffect merges docker-compose.sesame.yml with a
// Compose file of OpenMetadata's shape using a real Compose, and checks
// that the server gets Sesame's configuration and the key mount; that the
// .env lines feed the ${VAR} route; and that an env_file: entry would not
// (environment: wins), which is why the files say so.
func TestComposeOverrideTakesEffect(t *testing.T) {
	composeTools(t)
	r := fieldResult(t, "http://sesame.localhost:8080", true)
	files := r.Render()
	if _, err := files.Write(r.OutDir); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile("testdata/docker-compose.openmetadata.yml")
	if err != nil {
		t.Fatal(err)
	}
	project := t.TempDir()
	if err := os.WriteFile(filepath.Join(project, "docker-compose.yml"), base, 0o644); err != nil {
		t.Fatal(err)
	}

	wantEnv := map[string]string{
		"AUTHENTICATION_PROVIDER":             "okta",
		"AUTHENTICATION_PUBLIC_KEYS":          "[" + r.Issuer + "/v1/keys," + r.OMURL + "/api/v1/system/config/jwks]",
		"AUTHENTICATION_AUTHORITY":            r.Issuer,
		"AUTHENTICATION_CLIENT_ID":            "0oaSpa123",
		"AUTHENTICATION_CALLBACK_URL":         r.OMURL + "/callback",
		"AUTHENTICATION_JWT_PRINCIPAL_CLAIMS": "[email,preferred_username,sub]",
		"AUTHORIZER_ADMIN_PRINCIPALS":         "[dana]",
		"AUTHORIZER_PRINCIPAL_DOMAIN":         "acme.example",
		"AUTHORIZER_ENFORCE_PRINCIPAL_DOMAIN": "true",
		"RSA_PRIVATE_KEY_FILE_PATH":           "/opt/openmetadata/sesame/private_key.der",
		"RSA_PUBLIC_KEY_FILE_PATH":            "/opt/openmetadata/sesame/public_key.der",
		"JWT_KEY_ID":                          "kid-of-om",
		AllowInternalEnv:                      "true",
	}
	checkEnv := func(route string, svc map[string]any, want map[string]string) {
		t.Helper()
		env, _ := svc["environment"].(map[string]any)
		for k, v := range want {
			if fmt.Sprint(env[k]) != v {
				t.Errorf("%s: %s = %v, want %q", route, k, env[k], v)
			}
		}
		if env["DB_HOST"] != "mysql" || env["SERVER_PORT"] != "8585" {
			t.Errorf("%s: the server's other settings changed: DB_HOST %v, SERVER_PORT %v", route, env["DB_HOST"], env["SERVER_PORT"])
		}
	}

	// The .env route in its own project directory: OpenMetadata's
	// ${VAR:-default} entries take the lines.
	envProject := t.TempDir()
	if err := os.WriteFile(filepath.Join(envProject, "docker-compose.yml"), base, 0o644); err != nil {
		t.Fatal(err)
	}
	envLines, err := os.ReadFile(filepath.Join(r.OutDir, EnvFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(envProject, ".env"), envLines, 0o644); err != nil {
		t.Fatal(err)
	}
	// And an env_file: entry, which does not win over environment:.
	withEnvFile := strings.Replace(string(base), "    container_name: openmetadata_server\n",
		"    container_name: openmetadata_server\n    env_file: ["+filepath.Join(r.OutDir, EnvFile)+"]\n", 1)
	if err := os.WriteFile(filepath.Join(project, "env-file.yml"), []byte(withEnvFile), 0o644); err != nil {
		t.Fatal(err)
	}

	svcs := composeConfigs(t, project, []string{"docker-compose.yml", filepath.Join(r.OutDir, ComposeFile)}, []string{"env-file.yml"},
		[]string{filepath.Join(envProject, "docker-compose.yml")})
	merged, viaEnvFile := svcs[0], svcs[1]
	checkEnv("override", merged, wantEnv)
	if m, want := mounts(merged), r.absOutDir()+":/opt/openmetadata/sesame:ro"; !slices.Contains(m, want) {
		t.Errorf("override: volumes %v lack %s", m, want)
	}
	hosts := fmt.Sprint(merged["extra_hosts"])
	if !strings.Contains(hosts, "sesame.localhost") || !strings.Contains(hosts, "host-gateway") {
		t.Errorf("override: extra_hosts %s do not map sesame.localhost to the Docker host", hosts)
	}
	if merged["image"] != "docker.getcollate.io/openmetadata/server:1.9.0" || merged["restart"] != "always" {
		t.Errorf("override: the service lost its own settings: %v", merged)
	}
	if env, _ := viaEnvFile["environment"].(map[string]any); env["AUTHENTICATION_PROVIDER"] != "basic" {
		t.Errorf("env_file: AUTHENTICATION_PROVIDER = %v: Compose let env_file win over environment:", env["AUTHENTICATION_PROVIDER"])
	}
	delete(wantEnv, AllowInternalEnv) // not one of OpenMetadata's ${VAR} entries: the override adds it
	checkEnv(".env", svcs[2], wantEnv)
}

// TestHelmValuesMountTheKeys: values-sesame.yaml wires the key secret into
// the chart's extraVolumes/extraVolumeMounts at the paths its
// jwtTokenConfiguration names, and the URL filter's switch into extraEnvs.
func TestHelmValuesMountTheKeys(t *testing.T) {
	composeTools(t)
	r := fieldResult(t, "http://10.1.2.3:8080", true)
	docs := yamlToJSON(t, []byte(r.Render()[HelmFile]), []byte(fieldResult(t, "https://sso.example.com", false).Render()[HelmFile]))
	v := docs[0]
	jwt := v["openmetadata"].(map[string]any)["config"].(map[string]any)["jwtTokenConfiguration"].(map[string]any)
	mount := v["extraVolumeMounts"].([]any)[0].(map[string]any)
	vol := v["extraVolumes"].([]any)[0].(map[string]any)
	if mount["name"] != vol["name"] || mount["readOnly"] != true || vol["secret"].(map[string]any)["secretName"] != "openmetadata-jwt-keys" {
		t.Errorf("volume %v and mount %v do not match", vol, mount)
	}
	for _, k := range []string{"rsaprivateKeyFilePath", "rsapublicKeyFilePath"} {
		if dir := filepath.Dir(jwt[k].(string)); dir != mount["mountPath"] {
			t.Errorf("%s %v is not under the mount %v", k, jwt[k], mount["mountPath"])
		}
	}
	env := v["extraEnvs"].([]any)[0].(map[string]any)
	if env["name"] != AllowInternalEnv || env["value"] != "true" {
		t.Errorf("extraEnvs %v", env)
	}
	authz := v["openmetadata"].(map[string]any)["config"].(map[string]any)["authorizer"].(map[string]any)
	if authz["enforcePrincipalDomain"] != true || authz["principalDomain"] != "acme.example" {
		t.Errorf("authorizer %v", authz)
	}
	if _, ok := docs[1]["extraEnvs"]; ok {
		t.Error("extraEnvs set for a public address")
	}
}
