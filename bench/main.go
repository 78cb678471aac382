// Command bench is Sesame's load generator. It starts a Sesame (or targets
// one), measures this machine's RS256 signing rate in the same run, then
// drives the token, introspection and key-set endpoints with keep-alive
// connections at a fixed concurrency, and prints a report: throughput, the
// token figures as a share of the signing rate, p50/p99 latency and the
// server's memory. It is a measurement, not a test: nothing here fails a
// build.
//
// Modes: the default runs every scenario with server and load generator
// sharing the machine's cores; -pinned runs the server on core 0 alone
// (GOMAXPROCS=1) and the load generator on core 1, and divides by core 0's
// own signing rate; -scale seeds a large org and compares each scenario
// with the same one on an empty org (scale.go).
package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/secret"
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

type options struct {
	bin, target, apiToken, databaseURL string
	conc                               int
	dur, warm                          time.Duration
	out, profileDir                    string
	pinned                             bool
	// keep leaves a -scale run's data directory in place (to read query
	// plans on the seeded database) instead of deleting it.
	keep bool
}

func main() {
	var o options
	flag.StringVar(&o.bin, "sesame", "", "path to the sesame binary to start (temporary data directory)")
	flag.StringVar(&o.target, "target", "", "URL of a running Sesame to measure instead (needs -api-token; no memory figures)")
	flag.StringVar(&o.apiToken, "api-token", "", "SSWS API token for -target")
	flag.StringVar(&o.databaseURL, "database-url", "", "an empty PostgreSQL database for the started server (default SQLite); the run drops nothing but fills it")
	flag.BoolVar(&o.keep, "keep", false, "-scale: keep the data directory (SQLite database) at the end and print its path")
	flag.IntVar(&o.conc, "concurrency", 16, "concurrent keep-alive clients")
	flag.DurationVar(&o.dur, "duration", 5*time.Second, "measured time per scenario")
	flag.DurationVar(&o.warm, "warmup", time.Second, "unmeasured time before each scenario")
	flag.StringVar(&o.out, "out", "", "also write the report to this file")
	flag.StringVar(&o.profileDir, "profile", "", "write a CPU profile of the server for each scenario to this directory (and a top-15 summary beside it)")
	flag.BoolVar(&o.pinned, "pinned", false, "server on core 0 with GOMAXPROCS=1, load generator on core 1; shares of core 0's signing rate")
	only := flag.String("only", "", "comma-separated scenarios to run: jwt,secret,code,refresh,password,introspect,keys (default all)")
	scale := flag.Bool("scale", false, "seed a large org and compare each scenario with an empty org (see -users…)")
	sz := orgSize{}
	flag.IntVar(&sz.Users, "users", 1_000_000, "-scale: users")
	flag.IntVar(&sz.Groups, "groups", 100_000, "-scale: groups")
	flag.IntVar(&sz.BigGroup, "big-group", 100_000, "-scale: members of the largest group")
	flag.IntVar(&sz.Apps, "apps", 10_000, "-scale: apps")
	flag.IntVar(&sz.Rules, "rules", 1_000, "-scale: authorization-server rules")
	flag.IntVar(&sz.Events, "events", 10_000_000, "-scale: System Log events")
	signFor := flag.Duration("measure-signing", 0, "internal: print this process's signing rate over the duration and exit")
	hashFor := flag.Duration("measure-hashing", 0, "internal: print this process's argon2id rate over the duration and exit")
	flag.Parse()
	if *signFor > 0 {
		fmt.Printf("%f\n", measureSigning(*signFor))
		return
	}
	if *hashFor > 0 {
		fmt.Printf("%f\n", measureHashing(*hashFor))
		return
	}
	selected = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			selected[s] = true
		}
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	var err error
	switch {
	case *scale:
		err = runScale(o, sz)
	case o.pinned && os.Getenv("SESAME_BENCH_PINNED") == "":
		err = repin()
	default:
		err = run(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// repin runs this same command again on core 1 with GOMAXPROCS=1, so that
// the load generator never takes core 0 from the server.
func repin() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command("taskset", append([]string{"-c", "1", self}, os.Args[1:]...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "SESAME_BENCH_PINNED=1", "GOMAXPROCS=1")
	return cmd.Run()
}

// selected holds the scenarios chosen with -only; empty means all.
var selected map[string]bool

func want(s string) bool { return len(selected) == 0 || selected[s] }

type result struct {
	name     string
	requests int
	errors   int
	elapsed  time.Duration
	lat      []time.Duration
	peakRSS  int64
	target   string
	ratio    float64 // of floor; 0 when the scenario has none
	floor    float64 // measured around this scenario: the signing rate, or the hashing rate for password sign-in
	floorOf  string  // what floor counts: "" for RS256 signatures, "argon2id" for password hashes
}

func (r result) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p)
	return r.lat[i]
}

// bench is one run's server, client and settings.
type bench struct {
	o        options
	srv      *server
	orgURL   string
	apiToken string
	hc       *http.Client
	// signRate measures the signing rate the token figures are divided by,
	// hashRate the argon2id rate password sign-in is: every core, or core 0
	// alone with -pinned.
	signRate, hashRate func(time.Duration) float64
	setup              *setupResult
	si                 *signinSetup
}

func newBench(o options, srv *server, orgURL, apiToken string) *bench {
	b := &bench{o: o, srv: srv, orgURL: orgURL, apiToken: apiToken, signRate: measureSigning, hashRate: measureHashing,
		hc: &http.Client{Transport: &http.Transport{MaxIdleConns: o.conc * 2, MaxIdleConnsPerHost: o.conc * 2, IdleConnTimeout: time.Minute},
			Timeout: 60 * time.Second}}
	if o.pinned {
		b.signRate = func(d time.Duration) float64 { return onCore0("-measure-signing", d) }
		b.hashRate = func(d time.Duration) float64 { return onCore0("-measure-hashing", d) }
	}
	return b
}

func (b *bench) tokenURL() string { return b.orgURL + "/oauth2/default/v1/token" }

func run(o options) error {
	ctx := context.Background()
	var srv *server
	orgURL, apiToken := o.target, o.apiToken
	if o.target == "" {
		if o.bin == "" {
			return errors.New("give -sesame PATH (a built binary) or -target URL")
		}
		cpu := -1
		if o.pinned {
			cpu = 0
		}
		var err error
		if srv, err = newServer(o.bin, o.databaseURL, cpu, o.profileDir != ""); err != nil {
			return err
		}
		defer srv.stop()
		orgURL, apiToken = srv.url, srv.apiToken
	} else if apiToken == "" {
		return errors.New("-target needs -api-token")
	}
	b := newBench(o, srv, orgURL, apiToken)
	fmt.Fprintf(os.Stderr, "measuring the RS256 signing rate…\n")
	signRate := b.signRate(3 * time.Second)
	if err := b.prepare(ctx); err != nil {
		return err
	}
	idleRSS := int64(0)
	if srv != nil {
		time.Sleep(time.Second)
		idleRSS = srv.rss()
	}
	results, err := b.tokenScenarios(ctx, signRate)
	if err != nil {
		return err
	}
	results = append(results, b.otherScenarios()...)
	var peak int64
	if srv != nil {
		peak = srv.hwm()
	}
	report := render(b, signRate, idleRSS, peak, results)
	fmt.Print(report)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(report), 0o644)
	}
	return nil
}

// prepare registers the apps and the person the scenarios use.
func (b *bench) prepare(ctx context.Context) error {
	var err error
	if b.setup, err = prepare(ctx, b.hc, b.orgURL, b.apiToken); err != nil {
		return err
	}
	if want("code") || want("refresh") || want("password") {
		if b.si, err = prepareSignin(ctx, b.hc, b.orgURL, b.apiToken); err != nil {
			return err
		}
	}
	return nil
}

// tokenScenario divides r by a signing rate measured around it: the mean
// of one measurement before and one after, since this machine's speed
// drifts by tens of percent within minutes.
func (b *bench) tokenScenario(r result, before float64, target string) result {
	rate := (before + b.signRate(3*time.Second)) / 2
	r.floor = rate
	r.ratio = r.rate() / rate
	r.target = target
	return r
}

// targets of the token scenarios: shares of all cores' signing rate, or
// of core 0's with -pinned.
func (b *bench) targetFor(scenario string) string {
	shared := map[string]string{"jwt": "≥ 70 %", "secret": "≥ 85 %", "code": "≥ 42 %", "refresh": "≥ 60 %", "refresh-id": "— (two signatures: ≤ 50 %)"}
	pinned := map[string]string{"jwt": "≥ 85 %", "secret": "≥ 93 %", "code": "—", "refresh": "—", "refresh-id": "—"}
	if b.o.pinned {
		return pinned[scenario] + " of core 0's signing rate"
	}
	return shared[scenario] + " of signing rate"
}

// tokenScenarios runs the token endpoint scenarios that -only selects.
func (b *bench) tokenScenarios(ctx context.Context, signRate float64) ([]result, error) {
	var results []result
	o := b.o
	if want("jwt") {
		// Assertions are signed before the run: a jti is single use, and
		// the client's own signing must not compete with the server.
		need := int(signRate*(o.dur+o.warm).Seconds()*1.1) + 2000
		fmt.Fprintf(os.Stderr, "pre-signing %d client assertions…\n", need)
		assertions := presign(b.setup, b.tokenURL(), need)
		var next atomic.Int64
		rate := b.signRate(3 * time.Second)
		results = append(results, b.tokenScenario(b.load("client_credentials, private_key_jwt", "jwt", func() *http.Request {
			i := next.Add(1) - 1
			if int(i) >= len(assertions) {
				return nil
			}
			form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertions[i]}}
			return formRequest(b.tokenURL(), form, "")
		}), rate, b.targetFor("jwt")))
	}
	if want("secret") {
		rate := b.signRate(3 * time.Second)
		basic := b.basic()
		results = append(results, b.tokenScenario(b.load("client_credentials, client_secret_basic", "secret", func() *http.Request {
			return formRequest(b.tokenURL(), url.Values{"grant_type": {"client_credentials"}}, basic)
		}), rate, b.targetFor("secret")))
	}
	si := b.si
	// Each code and refresh token is single use: enough for the warm-up and
	// the run at the whole signing rate, made before the run (codes live
	// 300 s, so the run must be shorter than that).
	if want("code") {
		need := int(signRate*(o.dur+o.warm).Seconds()*0.8) + 500
		fmt.Fprintf(os.Stderr, "minting %d authorization codes…\n", need)
		codes, err := mintCodes(si, b.hc, "openid profile email", need, o.conc)
		if err != nil {
			return nil, err
		}
		rate := b.signRate(3 * time.Second)
		results = append(results, b.tokenScenario(b.load("authorization_code + PKCE (access + ID token)", "code", fromList(codes, si.exchangeRequest)),
			rate, b.targetFor("code")))
	}
	if want("refresh") {
		// Two runs: with an ID token (what okta-auth-js asks for: two
		// signatures per request, so at most half the signing rate) and
		// with the access token alone (one signature; the target).
		n := int(signRate*(o.dur+o.warm).Seconds()*0.7) + 500
		for _, v := range []struct{ name, key, scope string }{
			{"refresh_token, ROTATE (access token)", "refresh", "offline_access"},
			{"refresh_token, ROTATE (access + ID token)", "refresh-id", "openid offline_access"},
		} {
			fmt.Fprintf(os.Stderr, "minting %d refresh tokens…\n", n)
			rts, err := mintRefreshTokens(si, b.hc, n, o.conc)
			if err != nil {
				return nil, err
			}
			rate := b.signRate(3 * time.Second)
			results = append(results, b.tokenScenario(b.load(v.name, v.key, fromList(rts, func(rt string) *http.Request {
				return formRequest(b.tokenURL(), url.Values{"grant_type": {"refresh_token"}, "client_id": {si.clientID}, "refresh_token": {rt},
					"scope": {v.scope}}, "")
			})), rate, b.targetFor(v.key)))
		}
	}
	return results, nil
}

func (b *bench) basic() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(b.setup.webID+":"+b.setup.webSecret))
}

// otherScenarios are password sign-in, introspection and the key set.
func (b *bench) otherScenarios() []result {
	var results []result
	cores := runtime.GOMAXPROCS(0)
	if b.o.pinned {
		cores = 1
	}
	if want("password") {
		body := []byte(`{"username":"` + b.si.login + `","password":"` + b.si.password + `"}`)
		// Divided by the argon2id rate measured around it, as the token
		// scenarios are by the signing rate: this VM's speed drifts by
		// tens of percent within minutes, and the scale report compares
		// two runs minutes apart.
		before := b.hashRate(3 * time.Second)
		r := b.load("password sign-in (/api/v1/authn, argon2id m=19 MiB t=2 p=1)", "password", func() *http.Request {
			req, _ := http.NewRequest(http.MethodPost, b.orgURL+"/api/v1/authn", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			return req
		})
		r.floor, r.floorOf = (before+b.hashRate(3*time.Second))/2, "argon2id"
		r.ratio = r.rate() / r.floor
		r.target = fmt.Sprintf("≥ 20/s per core (%.1f/s per core), peak RSS ≤ 150 MB", r.rate()/float64(cores))
		results = append(results, r)
	}
	if want("introspect") {
		at, err := secretToken(b.hc, b.tokenURL(), b.basic())
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: introspection skipped:", err)
		} else {
			introspectURL := b.orgURL + "/oauth2/default/v1/introspect"
			basic := b.basic()
			r := b.load("introspection (JWT, client_secret_basic)", "introspect", func() *http.Request {
				return formRequest(introspectURL, url.Values{"token": {at}, "token_type_hint": {"access_token"}}, basic)
			})
			r.target = "≥ 2× the last report"
			results = append(results, r)
		}
	}
	if want("keys") {
		keysURL := b.orgURL + "/oauth2/default/v1/keys"
		r := b.load("/v1/keys", "keys", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, keysURL, nil)
			return r
		})
		r.target = "≥ 2× the last report"
		results = append(results, r)
		// A client that keeps the ETag is answered 304 without a body.
		if etag := b.etag(keysURL); etag != "" {
			r := b.load("/v1/keys, If-None-Match (304)", "keys-304", func() *http.Request {
				r, _ := http.NewRequest(http.MethodGet, keysURL, nil)
				r.Header.Set("If-None-Match", etag)
				return r
			})
			r.target = "—"
			results = append(results, r)
		}
	}
	return results
}

func (b *bench) etag(u string) string {
	resp, err := b.hc.Get(u)
	if err != nil {
		return ""
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.Header.Get("ETag")
}

// measureSigning is RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second with
// every core of this process busy: the cost floor of any token endpoint.
func measureSigning(d time.Duration) float64 {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	digest := sha256.Sum256([]byte("sesame"))
	return perSecond(d, func() { rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:]) })
}

// measureHashing is argon2id verifications per second with the server's
// parameters (m=19 MiB, t=2, p=1) and every core of this process busy: the
// cost floor of a password sign-in.
func measureHashing(d time.Duration) float64 {
	return perSecond(d, func() { secret.VerifyPassword("bench", secret.DummyHash) })
}

// perSecond runs op on every core of this process for d and returns how
// many times a second it completed.
func perSecond(d time.Duration, op func()) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				op()
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// onCore0 is the signing or hashing rate (flag) of one thread on core 0,
// where the pinned server runs: this program again, under taskset.
func onCore0(flag string, d time.Duration) float64 {
	self, err := os.Executable()
	if err != nil {
		return 0
	}
	cmd := exec.Command("taskset", "-c", "0", self, flag, d.String())
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	out, err := cmd.Output()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: rate on core 0:", flag, err)
		return 0
	}
	v, _ := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	return v
}

type setupResult struct {
	kid       string
	key       crypto.Signer
	clientID  string
	webID     string
	webSecret string
}

// prepare registers what the scenarios use through the management API: a
// default scope, a private_key_jwt service app and a secret-based web app.
func prepare(ctx context.Context, hc *http.Client, orgURL, apiToken string) (*setupResult, error) {
	mgmt := mgmtClient(ctx, hc, orgURL, apiToken)
	scope := "bench:" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if _, err := mgmt(http.MethodPost, "/api/v1/authorizationServers/default/scopes", map[string]any{"name": scope, "default": true}); err != nil {
		return nil, err
	}
	g, err := keys.GenerateSet(keys.GenerateOptions{KID: "bench", Alg: "RS256", Size: 2048, Use: "sig"})
	if err != nil {
		return nil, err
	}
	var jwks any
	json.Unmarshal([]byte(g.PublicJWKS), &jwks)
	svc, err := mgmt(http.MethodPost, "/oauth2/v1/clients", map[string]any{"client_name": "bench service", "application_type": "service",
		"grant_types": []string{"client_credentials"}, "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks})
	if err != nil {
		return nil, err
	}
	key, kid, err := keys.ParsePrivateKey([]byte(g.PrivateJWK))
	if err != nil {
		return nil, err
	}
	web, err := mgmt(http.MethodPost, "/oauth2/v1/clients", map[string]any{"client_name": "bench web", "application_type": "web",
		"redirect_uris": []string{"https://bench.example.com/cb"}, "grant_types": []string{"authorization_code", "client_credentials"},
		"token_endpoint_auth_method": "client_secret_basic"})
	if err != nil {
		return nil, err
	}
	return &setupResult{kid: kid, key: key, clientID: svc["client_id"].(string), webID: web["client_id"].(string), webSecret: web["client_secret"].(string)}, nil
}

// mgmtClient returns a caller of the management API with an SSWS token.
func mgmtClient(ctx context.Context, hc *http.Client, orgURL, apiToken string) func(method, path string, body any) (map[string]any, error) {
	return func(method, path string, body any) (map[string]any, error) {
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequestWithContext(ctx, method, orgURL+path, rd)
		req.Header.Set("Authorization", "SSWS "+apiToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 300 {
			return nil, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
		}
		var m map[string]any
		json.Unmarshal(raw, &m)
		return m, nil
	}
}

func presign(s *setupResult, aud string, n int) []string {
	out := make([]string, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				a, err := tokenclient.Assertion{ClientID: s.clientID, Audience: aud, KID: s.kid, Key: s.key, Lifetime: 10 * time.Minute}.Sign(time.Now())
				if err != nil {
					panic(err)
				}
				out[i] = a
			}
		}(w)
	}
	wg.Wait()
	return out
}

func formRequest(u string, form url.Values, auth string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

func secretToken(hc *http.Client, tokenURL, basic string) (string, error) {
	resp, err := hc.Do(formRequest(tokenURL, url.Values{"grant_type": {"client_credentials"}}, basic))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var m struct {
		AccessToken string `json:"access_token"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &m); err != nil || m.AccessToken == "" {
		return "", fmt.Errorf("token for introspection: %d %s", resp.StatusCode, raw)
	}
	return m.AccessToken, nil
}

// load runs o.conc workers issuing requests from mk until warm+dur has
// passed (or mk runs dry) and measures the last dur. With -profile, the
// server's CPU profile covers the measured part.
func (b *bench) load(name, key string, mk func() *http.Request) result {
	o := b.o
	fmt.Fprintf(os.Stderr, "running %s…\n", name)
	measureFrom := time.Now().Add(o.warm)
	end := measureFrom.Add(o.dur)
	var wg sync.WaitGroup
	var mu sync.Mutex
	res := result{name: name}
	stopRSS := make(chan struct{})
	var peak atomic.Int64
	if b.srv != nil {
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopRSS:
					return
				case <-t.C:
					if r := b.srv.rss(); r > peak.Load() {
						peak.Store(r)
					}
				}
			}
		}()
	}
	profDone := make(chan struct{})
	if b.srv != nil && b.srv.pprofAddr != "" && o.profileDir != "" {
		go func() {
			defer close(profDone)
			time.Sleep(time.Until(measureFrom))
			b.srv.profile(filepath.Join(o.profileDir, key+".pprof"), o.dur-200*time.Millisecond)
		}()
	} else {
		close(profDone)
	}
	var lastDone atomic.Int64
	for i := 0; i < o.conc; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			n, errs := 0, 0
			for {
				now := time.Now()
				if now.After(end) {
					break
				}
				req := mk()
				if req == nil {
					break
				}
				resp, err := b.hc.Do(req)
				ok := err == nil && (resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusNotModified)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				done := time.Now()
				if now.After(measureFrom) && !done.After(end) {
					n++
					lat = append(lat, done.Sub(now))
					if !ok {
						errs++
					}
					lastDone.Store(done.UnixNano())
				}
			}
			mu.Lock()
			res.requests += n
			res.errors += errs
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(stopRSS)
	<-profDone
	res.elapsed = time.Unix(0, lastDone.Load()).Sub(measureFrom)
	if res.elapsed <= 0 {
		res.elapsed = o.dur
	}
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	res.peakRSS = peak.Load()
	return res
}

func render(b *bench, signRate float64, idleRSS, peak int64, rs []result) string {
	var sb strings.Builder
	o := b.o
	host, _ := os.Hostname()
	backend := "SQLite"
	if o.databaseURL != "" {
		backend = "PostgreSQL"
	}
	mode := fmt.Sprintf("%d cores (GOMAXPROCS) shared by server and load generator", runtime.GOMAXPROCS(0))
	what := "RS256 (RSA-2048) signing rate of this machine, all cores"
	if o.pinned {
		mode = "pinned: server on core 0 (GOMAXPROCS=1), load generator on core 1"
		what = "RS256 (RSA-2048) signing rate of one thread on core 0"
	}
	fmt.Fprintf(&sb, "# Sesame benchmark\n\n%s, %s/%s, %s, %s, concurrency %d, %s per scenario, keep-alive, %s.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOOS, runtime.GOARCH, mode, host, o.conc, o.dur, backend)
	fmt.Fprintf(&sb, "Load average at the end: %s\n\n", loadAvg())
	fmt.Fprintf(&sb, "%s, at the start: **%.0f/s** (measured again around each token scenario: the mean of a run before and a run after)\n\n", what, signRate)
	fmt.Fprintf(&sb, "| scenario | requests/s | signing rate around it (argon2id rate for sign-in) | share of it | p50 | p99 | p99/p50 | errors | peak RSS | target |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, r := range rs {
		share := "—"
		if r.ratio > 0 {
			share = fmt.Sprintf("%.0f %%", r.ratio*100)
		}
		rss := "—"
		if r.peakRSS > 0 {
			rss = fmt.Sprintf("%.1f MB", float64(r.peakRSS)/1e6)
		}
		then := "—"
		if r.floor > 0 {
			then = fmt.Sprintf("%.0f/s", r.floor)
			if r.floorOf != "" {
				then += " " + r.floorOf
			}
		}
		spread := "—"
		if p50 := r.pct(0.50); p50 > 0 {
			spread = fmt.Sprintf("%.1f", float64(r.pct(0.99))/float64(p50))
		}
		fmt.Fprintf(&sb, "| %s | %.0f | %s | %s | %s | %s | %s | %d | %s | %s |\n", r.name, r.rate(), then, share,
			r.pct(0.50).Round(10*time.Microsecond), r.pct(0.99).Round(10*time.Microsecond), spread, r.errors, rss, r.target)
	}
	if b.srv != nil {
		fmt.Fprintf(&sb, "\nServer memory: idle RSS %.1f MB; peak RSS over the run (VmHWM) %.1f MB.\n",
			float64(idleRSS)/1e6, float64(peak)/1e6)
	}
	if o.pinned {
		fmt.Fprintf(&sb, "\nThe server runs alone on core 0; the load generator on core 1; client assertions are signed before each run.\n")
	} else {
		fmt.Fprintf(&sb, "\nThe load generator runs on the same cores as the server; client assertions are signed before each run.\n")
	}
	return sb.String()
}

// loadAvg is the machine's 1, 5 and 15 minute load averages: other work
// on a shared machine skews every figure, so each report states it.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
