// Command bench is Sesame's load generator. It starts a Sesame (or targets
// one), measures this machine's RS256 signing rate in the same run, then
// drives the token, introspection and key-set endpoints with keep-alive
// connections at a fixed concurrency, and prints a report: throughput, the
// token figures as a share of the signing rate, p50/p99 latency and the
// server's memory. It is a measurement, not a test: nothing here fails a
// build.
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
	"net"
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
	"github.com/sesame-idp/sesame/internal/tokenclient"
)

func main() {
	var (
		bin         = flag.String("sesame", "", "path to the sesame binary to start (SQLite, temporary data directory)")
		target      = flag.String("target", "", "URL of a running Sesame to measure instead (needs -api-token; no memory figures)")
		apiToken    = flag.String("api-token", "", "SSWS API token for -target")
		concurrency = flag.Int("concurrency", 16, "concurrent keep-alive clients")
		duration    = flag.Duration("duration", 5*time.Second, "measured time per scenario")
		warmup      = flag.Duration("warmup", time.Second, "unmeasured time before each scenario")
		out         = flag.String("out", "", "also write the report to this file")
		only        = flag.String("only", "", "comma-separated scenarios to run: jwt,secret,code,refresh,password,introspect,keys (default all)")
	)
	flag.Parse()
	selected = map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			selected[s] = true
		}
	}
	if err := run(*bin, *target, *apiToken, *concurrency, *duration, *warmup, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
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
	ratio    float64 // of the signing rate; 0 when not a token figure
	signRate float64 // measured around this scenario
}

func (r result) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat)-1) * p)
	return r.lat[i]
}

func run(bin, target, apiToken string, conc int, dur, warm time.Duration, outFile string) error {
	ctx := context.Background()
	fmt.Fprintf(os.Stderr, "measuring RS256 signing rate on %d cores…\n", runtime.GOMAXPROCS(0))
	signRate := measureSigning(3 * time.Second)

	var srv *server
	orgURL := target
	if target == "" {
		if bin == "" {
			return errors.New("give -sesame PATH (a built binary) or -target URL")
		}
		var err error
		if srv, err = startServer(bin); err != nil {
			return err
		}
		defer srv.stop()
		orgURL, apiToken = srv.url, srv.apiToken
	} else if apiToken == "" {
		return errors.New("-target needs -api-token")
	}

	hc := &http.Client{Transport: &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, IdleConnTimeout: time.Minute}, Timeout: 30 * time.Second}
	setup, err := prepare(ctx, hc, orgURL, apiToken)
	if err != nil {
		return err
	}
	idleRSS := int64(0)
	if srv != nil {
		time.Sleep(time.Second)
		idleRSS = srv.rss()
	}
	tokenURL := orgURL + "/oauth2/default/v1/token"

	// Assertions are signed before the run: a jti is single use, and the
	// client's own signing must not compete with the server for the cores.
	var results []result
	// Each token figure is divided by a signing rate measured around it, so
	// that drift in the machine's speed does not skew the ratio.
	tokenScenario := func(r result, before float64, target string) {
		// The rate is the mean of one measurement before and one after the
		// scenario: this machine's speed drifts by tens of percent within
		// minutes.
		rate := (before + measureSigning(3*time.Second)) / 2
		r.signRate = rate
		r.ratio = r.rate() / rate
		r.target = target
		results = append(results, r)
	}
	if want("jwt") {
		need := int(signRate*(dur+warm).Seconds()*1.1) + 2000
		fmt.Fprintf(os.Stderr, "pre-signing %d client assertions…\n", need)
		assertions := presign(setup, tokenURL, need)
		var next atomic.Int64
		rate := measureSigning(3 * time.Second)
		tokenScenario(load(srv, "client_credentials, private_key_jwt", conc, dur, warm, hc, func() *http.Request {
			i := next.Add(1) - 1
			if int(i) >= len(assertions) {
				return nil
			}
			form := url.Values{"grant_type": {"client_credentials"}, "client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {assertions[i]}}
			return formRequest(tokenURL, form, "")
		}), rate, "≥ 75 % of signing rate")
	}

	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(setup.webID+":"+setup.webSecret))
	if want("secret") {
		rate := measureSigning(3 * time.Second)
		tokenScenario(load(srv, "client_credentials, client_secret_basic", conc, dur, warm, hc, func() *http.Request {
			return formRequest(tokenURL, url.Values{"grant_type": {"client_credentials"}}, basic)
		}), rate, "≥ 75 % of signing rate")
	}

	if want("code") || want("refresh") || want("password") {
		si, err := prepareSignin(ctx, hc, orgURL, apiToken)
		if err != nil {
			return err
		}
		// Each code and refresh token is single use: enough for the warm-up
		// and the run at the whole signing rate, made before the run (codes
		// live 300 s, so the run must be shorter than that).
		need := int(signRate*(dur+warm).Seconds()*0.8) + 500
		if want("code") {
			fmt.Fprintf(os.Stderr, "minting %d authorization codes…\n", need)
			codes, err := mintCodes(si, hc, "openid profile email", need, conc)
			if err != nil {
				return err
			}
			rate := measureSigning(3 * time.Second)
			tokenScenario(load(srv, "authorization_code + PKCE (access + ID token)", conc, dur, warm, hc, fromList(codes, si.exchangeRequest)),
				rate, "≥ 40 % of signing rate")
		}
		if want("refresh") {
			// Two runs: with an ID token (what okta-auth-js asks for: two
			// signatures per request, so at most half the signing rate) and
			// with the access token alone (one signature; the target).
			n := int(signRate*(dur+warm).Seconds()*0.5) + 500
			for _, v := range []struct{ name, scope, target string }{
				{"refresh_token, ROTATE (access token)", "offline_access", "≥ 60 % of signing rate"},
				{"refresh_token, ROTATE (access + ID token)", "openid offline_access", "— (two signatures: ≤ 50 %)"},
			} {
				fmt.Fprintf(os.Stderr, "minting %d refresh tokens…\n", n)
				rts, err := mintRefreshTokens(si, hc, n, conc)
				if err != nil {
					return err
				}
				rate := measureSigning(3 * time.Second)
				tokenScenario(load(srv, v.name, conc, dur, warm, hc, fromList(rts, func(rt string) *http.Request {
					return formRequest(tokenURL, url.Values{"grant_type": {"refresh_token"}, "client_id": {si.clientID}, "refresh_token": {rt},
						"scope": {v.scope}}, "")
				})), rate, v.target)
			}
		}
		if want("password") {
			body := []byte(`{"username":"` + si.login + `","password":"` + si.password + `"}`)
			r := load(srv, "password sign-in (/api/v1/authn, argon2id m=19 MiB t=2 p=1)", conc, dur, warm, hc, func() *http.Request {
				req, _ := http.NewRequest(http.MethodPost, orgURL+"/api/v1/authn", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				return req
			})
			r.target = fmt.Sprintf("≥ 20/s per core (%.1f/s per core)", r.rate()/float64(runtime.GOMAXPROCS(0)))
			results = append(results, r)
		}
	}

	at, err := secretToken(hc, tokenURL, basic)
	if err != nil {
		return err
	}
	introspectURL := orgURL + "/oauth2/default/v1/introspect"
	if want("introspect") {
		results = append(results, load(srv, "introspection (client_secret_basic)", conc, dur, warm, hc, func() *http.Request {
			return formRequest(introspectURL, url.Values{"token": {at}, "token_type_hint": {"access_token"}}, basic)
		}))
		results[len(results)-1].target = "≥ 10,000/s"
	}

	keysURL := orgURL + "/oauth2/default/v1/keys"
	if want("keys") {
		results = append(results, load(srv, "/v1/keys", conc, dur, warm, hc, func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, keysURL, nil)
			return r
		}))
		results[len(results)-1].target = "≥ 20,000/s"
	}

	var peak int64
	if srv != nil {
		peak = srv.hwm()
	}
	report := render(signRate, conc, dur, idleRSS, peak, srv != nil, results)
	fmt.Print(report)
	if outFile != "" {
		return os.WriteFile(outFile, []byte(report), 0o644)
	}
	return nil
}

// measureSigning is RSA-2048 PKCS#1 v1.5 SHA-256 signatures per second with
// every core busy: the cost floor of any token endpoint.
func measureSigning(d time.Duration) float64 {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	digest := sha256.Sum256([]byte("sesame"))
	var n atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	start := time.Now()
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

type setupResult struct {
	keyID, kid string
	key        crypto.Signer
	clientID   string
	webID      string
	webSecret  string
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
		b, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(ctx, method, orgURL+path, bytes.NewReader(b))
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

// load runs conc workers issuing requests from mk until warm+dur has passed
// (or mk runs dry) and measures the last dur.
func load(srv *server, name string, conc int, dur, warm time.Duration, hc *http.Client, mk func() *http.Request) result {
	fmt.Fprintf(os.Stderr, "running %s…\n", name)
	measureFrom := time.Now().Add(warm)
	end := measureFrom.Add(dur)
	var wg sync.WaitGroup
	var mu sync.Mutex
	res := result{name: name}
	stopRSS := make(chan struct{})
	var peak atomic.Int64
	if srv != nil {
		go func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-stopRSS:
					return
				case <-t.C:
					if r := srv.rss(); r > peak.Load() {
						peak.Store(r)
					}
				}
			}
		}()
	}
	var lastDone atomic.Int64
	for i := 0; i < conc; i++ {
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
				resp, err := hc.Do(req)
				ok := err == nil && resp.StatusCode == http.StatusOK
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
	res.elapsed = time.Unix(0, lastDone.Load()).Sub(measureFrom)
	if res.elapsed <= 0 {
		res.elapsed = dur
	}
	sort.Slice(res.lat, func(i, j int) bool { return res.lat[i] < res.lat[j] })
	res.peakRSS = peak.Load()
	return res
}

func render(signRate float64, conc int, dur time.Duration, idleRSS, peak int64, haveServer bool, rs []result) string {
	var b strings.Builder
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "# Sesame benchmark\n\n%s, %s/%s, %d cores (GOMAXPROCS), %s, concurrency %d, %s per scenario, keep-alive, SQLite.\n\n",
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0), host, conc, dur)
	fmt.Fprintf(&b, "RS256 (RSA-2048) signing rate of this machine, all cores, at the start: **%.0f/s** (measured again around each token scenario: the mean of a run before and a run after)\n\n", signRate)
	fmt.Fprintf(&b, "| scenario | requests/s | signing rate around it | share of signing rate | p50 | p99 | errors | peak RSS | target |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n")
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
		if r.signRate > 0 {
			then = fmt.Sprintf("%.0f/s", r.signRate)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s | %d | %s | %s |\n", r.name, r.rate(), then, share,
			r.pct(0.50).Round(10*time.Microsecond), r.pct(0.99).Round(10*time.Microsecond), r.errors, rss, r.target)
	}
	if haveServer {
		fmt.Fprintf(&b, "\nServer memory: idle RSS %.1f MB (target ≤ 40 MB); peak RSS over the run (VmHWM) %.1f MB (target ≤ 150 MB).\n",
			float64(idleRSS)/1e6, float64(peak)/1e6)
	}
	fmt.Fprintf(&b, "\nThe load generator runs on the same cores as the server; client assertions are signed before each run.\n")
	return b.String()
}

// server is a Sesame started for the run.
type server struct {
	cmd      *exec.Cmd
	dir      string
	url      string
	apiToken string
}

func startServer(bin string) (*server, error) {
	dir, err := os.MkdirTemp("", "sesame-bench-")
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	s := &server{dir: dir, url: "http://" + addr}
	data := filepath.Join(dir, "data")
	tokenFile := filepath.Join(dir, "api-token")
	initOut, err := exec.Command(bin, "init", "--data", data, "--url", s.url, "--admin-email", "bench@example.com", "--api-token-file", tokenFile).CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("sesame init: %v\n%s", err, initOut)
	}
	tok, _ := os.ReadFile(tokenFile)
	s.apiToken = strings.TrimSpace(string(tok))
	logf, _ := os.Create(filepath.Join(dir, "serve.log"))
	s.cmd = exec.Command(bin, "serve", "--addr", addr, "--url", s.url, "--data", data)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// The access log of every request would measure the disk, not Sesame.
	s.cmd.Env = append(os.Environ(), "SESAME_LOG_LEVEL=warn")
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(s.url + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("sesame serve did not come up")
}

func (s *server) stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			s.cmd.Process.Kill()
		}
	}
	os.RemoveAll(s.dir)
}

// rss and hwm read the server's resident and peak resident memory.
func (s *server) rss() int64 { return procStatus(s.cmd.Process.Pid, "VmRSS:") }
func (s *server) hwm() int64 { return procStatus(s.cmd.Process.Pid, "VmHWM:") }

func procStatus(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field) {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb * 1000
			}
		}
	}
	return 0
}
