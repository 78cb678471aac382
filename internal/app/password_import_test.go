package app

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// importPassword is the password every imported hash below was made from.
const importPassword = "Tr0ub4dor&3-imported"

// tool runs a standard hashing tool and returns its trimmed output.
func tool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Fatalf("%s %v: %v", name, args, err)
	}
	return strings.TrimSpace(string(out))
}

// needTool skips when a hashing tool is missing, unless make test (which
// installs it) asks for it.
func needTool(t *testing.T, name, env string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv(env) != "" {
			t.Fatalf("%s is required (%s is set) but not on PATH: run scripts/ensure-htpasswd.sh", name, env)
		}
		t.Skipf("%s is not installed (scripts/ensure-htpasswd.sh installs it)", name)
	}
}

// digestHash is openssl dgst's base64 digest of salt and password in the
// given order, made through a shell so the bytes are exactly the tool's.
func digestHash(t *testing.T, alg, salt, order string) string {
	t.Helper()
	input := importPassword + salt
	if order == "PREFIX" {
		input = salt + importPassword
	}
	return tool(t, "sh", "-c", `printf '%s' "$1" | openssl dgst -`+alg+` -binary | base64 -w0`, "sh", input)
}

// TestPasswordHashImport creates users with credentials.password.hash made
// by standard tools — htpasswd (BCRYPT), openssl dgst (SHA-512, SHA-256,
// SHA-1, MD5, salted either side and unsalted), python3's hashlib (PBKDF2)
// — then signs each in with the original password through /api/v1/authn:
// the first sign-in replaces the hash by argon2id, and the password keeps
// working after; a wrong one never does.
func TestPasswordHashImport(t *testing.T) {
	needTool(t, "htpasswd", "SESAME_REQUIRE_HTPASSWD")
	for _, name := range []string{"openssl", "python3", "base64"} {
		if _, err := exec.LookPath(name); err != nil {
			t.Skipf("%s is not installed", name)
		}
	}
	// htpasswd -B prints user:$2y$10$<22 salt><31 hash>.
	bc := strings.SplitN(tool(t, "htpasswd", "-nbBC", "10", "u", importPassword), ":", 2)[1]
	bcParts := strings.Split(bc, "$")
	salt := "NaCl-from-the-old-system"
	b64salt := base64.StdEncoding.EncodeToString([]byte(salt))
	pbkdf2 := tool(t, "python3", "-c", `import hashlib,base64,sys
print(base64.b64encode(hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode(), sys.argv[2].encode(), 4096, 32)).decode())`, importPassword, salt)
	pbkdf2sha512 := tool(t, "python3", "-c", `import hashlib,base64,sys
print(base64.b64encode(hashlib.pbkdf2_hmac("sha512", sys.argv[1].encode(), sys.argv[2].encode(), 5000, 64)).decode())`, importPassword, salt)

	cases := []struct {
		name string
		hash map[string]any
	}{
		{"bcrypt", map[string]any{"algorithm": "BCRYPT", "workFactor": 10, "salt": bcParts[3][:22], "value": bcParts[3][22:]}},
		{"sha512 prefix", map[string]any{"algorithm": "SHA-512", "salt": b64salt, "saltOrder": "PREFIX", "value": digestHash(t, "sha512", salt, "PREFIX")}},
		{"sha256 postfix", map[string]any{"algorithm": "SHA-256", "salt": b64salt, "saltOrder": "POSTFIX", "value": digestHash(t, "sha256", salt, "POSTFIX")}},
		{"sha1 prefix", map[string]any{"algorithm": "SHA-1", "salt": b64salt, "saltOrder": "PREFIX", "value": digestHash(t, "sha1", salt, "PREFIX")}},
		{"md5 postfix", map[string]any{"algorithm": "MD5", "salt": b64salt, "saltOrder": "POSTFIX", "value": digestHash(t, "md5", salt, "POSTFIX")}},
		{"sha256 unsalted", map[string]any{"algorithm": "SHA-256", "value": digestHash(t, "sha256", "", "POSTFIX")}},
		{"pbkdf2 sha256", map[string]any{"algorithm": "PBKDF2", "digestAlgorithm": "SHA256_HMAC", "iterationCount": 4096, "keySize": 32, "salt": b64salt, "value": pbkdf2}},
		{"pbkdf2 sha512", map[string]any{"algorithm": "PBKDF2", "digestAlgorithm": "SHA512_HMAC", "iterationCount": 5000, "keySize": 64, "salt": b64salt, "value": pbkdf2sha512}},
	}
	tfSuite(t, func(t *testing.T, ts *testServer) {
		authn := func(login, pw string) int {
			body, _ := json.Marshal(map[string]string{"username": login, "password": pw})
			return ts.do(t, http.MethodPost, "/api/v1/authn", "", "application/json", body).status
		}
		for i, c := range cases {
			login := "imported" + string(rune('a'+i)) + "@example.com"
			a := ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": person(login),
				"credentials": map[string]any{"password": map[string]any{"hash": c.hash}}})
			if a.status != 200 {
				t.Fatalf("%s: create: %d %s", c.name, a.status, a.body)
			}
			u := a.json(t)
			if u["status"] != "ACTIVE" || u["credentials"].(map[string]any)["password"] == nil {
				t.Fatalf("%s: created %s", c.name, a.body)
			}
			id := u["id"].(string)
			stored := func() string {
				su, err := ts.App.Store.Users().Get(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				return su.PasswordHash
			}
			if strings.HasPrefix(stored(), "$argon2id$") {
				t.Fatalf("%s: hashed with argon2id before any sign-in", c.name)
			}
			if got := authn(login, importPassword+"x"); got != http.StatusUnauthorized {
				t.Errorf("%s: a wrong password answered %d", c.name, got)
			}
			if got := authn(login, importPassword); got != http.StatusOK {
				t.Fatalf("%s: the original password answered %d", c.name, got)
			}
			if h := stored(); !strings.HasPrefix(h, "$argon2id$") {
				t.Fatalf("%s: not upgraded to argon2id after sign-in: %.20s…", c.name, h)
			}
			if got := authn(login, importPassword); got != http.StatusOK {
				t.Errorf("%s: after the upgrade the password answered %d", c.name, got)
			}
			if got := authn(login, importPassword+"x"); got != http.StatusUnauthorized {
				t.Errorf("%s: after the upgrade a wrong password answered %d", c.name, got)
			}
		}

		// Bad imports are refused with the member named; a hash is for
		// STAGED users only on update.
		bad := []struct {
			name, field string
			hash        map[string]any
		}{
			{"unknown algorithm", "credentials.password.hash.algorithm", map[string]any{"algorithm": "SCRYPT", "value": "eA=="}},
			{"short bcrypt salt", "credentials.password.hash.salt", map[string]any{"algorithm": "BCRYPT", "workFactor": 10, "salt": "abc", "value": bcParts[3][22:]}},
			{"bcrypt cost", "credentials.password.hash.workFactor", map[string]any{"algorithm": "BCRYPT", "workFactor": 99, "salt": bcParts[3][:22], "value": bcParts[3][22:]}},
			{"digest length", "credentials.password.hash.value", map[string]any{"algorithm": "SHA-512", "value": digestHash(t, "sha256", "", "POSTFIX")}},
			{"salt order", "credentials.password.hash.saltOrder", map[string]any{"algorithm": "SHA-1", "salt": b64salt, "value": digestHash(t, "sha1", salt, "PREFIX")}},
			{"pbkdf2 iterations", "credentials.password.hash.iterationCount", map[string]any{"algorithm": "PBKDF2", "digestAlgorithm": "SHA256_HMAC", "iterationCount": 1000, "salt": b64salt, "value": pbkdf2}},
			{"pbkdf2 digest", "credentials.password.hash.digestAlgorithm", map[string]any{"algorithm": "PBKDF2", "digestAlgorithm": "MD5_HMAC", "iterationCount": 4096, "salt": b64salt, "value": pbkdf2}},
		}
		for _, b := range bad {
			a := ts.mgmt(t, http.MethodPost, "/api/v1/users", map[string]any{"profile": person("bad.import@example.com"),
				"credentials": map[string]any{"password": map[string]any{"hash": b.hash}}})
			causes := wantError(t, b.name, a, http.StatusBadRequest, "E0000001")
			if len(causes) != 1 || !strings.HasPrefix(causes[0], b.field+": ") {
				t.Errorf("%s: causes %v, want one on %s", b.name, causes, b.field)
			}
		}
		active := ts.createUser(t, "", person("active.import@example.com"), strongPassword)
		a := ts.mgmt(t, http.MethodPut, "/api/v1/users/"+active["id"].(string), map[string]any{"profile": person("active.import@example.com"),
			"credentials": map[string]any{"password": map[string]any{"hash": cases[0].hash}}})
		wantError(t, "hash on an ACTIVE user", a, http.StatusBadRequest, "E0000001")

		// A STAGED user gets the hash through the provider's PUT, then is
		// activated and signs in with the old system's password.
		staged := ts.createUser(t, "?activate=false", person("staged.import@example.com"), "")
		sid := staged["id"].(string)
		a = ts.mgmt(t, http.MethodPut, "/api/v1/users/"+sid, map[string]any{"profile": person("staged.import@example.com"),
			"credentials": map[string]any{"password": map[string]any{"hash": cases[1].hash}}})
		if a.status != 200 {
			t.Fatalf("hash on a STAGED user: %d %s", a.status, a.body)
		}
		if a := ts.mgmt(t, http.MethodPost, "/api/v1/users/"+sid+"/lifecycle/activate?sendEmail=false", nil); a.status != 200 {
			t.Fatalf("activate: %d %s", a.status, a.body)
		}
		if got := authn("staged.import@example.com", importPassword); got != http.StatusOK {
			t.Errorf("staged then activated: the original password answered %d", got)
		}
	})
}
