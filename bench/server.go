package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// server is a Sesame started for the run.
type server struct {
	cmd      *exec.Cmd
	bin      string
	dir      string
	url      string
	addr     string
	apiToken string
	// databaseURL selects PostgreSQL (an empty database the run owns);
	// empty is SQLite in dir.
	databaseURL string
	// cpu pins the server to one core with GOMAXPROCS=1 (-pinned); -1
	// leaves it on every core.
	cpu int
	// pprofAddr, when set, serves Go's profiler for CPU profiles.
	pprofAddr string
	// noRateLimits turns the per-minute limits off (-scale pages through
	// millions of records faster than a client is allowed to).
	noRateLimits bool
	// startup is how long the last start took until the server answered.
	startup time.Duration
}

// newServer initializes an org in a new temporary directory (and, with
// databaseURL, in that PostgreSQL database) and starts Sesame on it.
func newServer(bin, databaseURL string, cpu int, profile bool) (*server, error) {
	dir, err := os.MkdirTemp("", "sesame-bench-")
	if err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{bin: bin, dir: dir, addr: addr, url: "http://" + addr, databaseURL: databaseURL, cpu: cpu}
	if profile {
		if s.pprofAddr, err = freeAddr(); err != nil {
			return nil, err
		}
	}
	tokenFile := filepath.Join(dir, "api-token")
	args := append([]string{"init", "--url", s.url, "--admin-email", "bench@example.com", "--api-token-file", tokenFile}, s.storeArgs()...)
	initOut, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("sesame init: %v\n%s", err, initOut)
	}
	tok, _ := os.ReadFile(tokenFile)
	s.apiToken = strings.TrimSpace(string(tok))
	if err := s.start(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

func (s *server) storeArgs() []string {
	if s.databaseURL != "" {
		return []string{"--database-url", s.databaseURL, "--master-key-file", filepath.Join(s.dir, "master.key")}
	}
	return []string{"--data", filepath.Join(s.dir, "data")}
}

// sqlitePath is the database file of a SQLite server.
func (s *server) sqlitePath() string { return filepath.Join(s.dir, "data", "sesame.db") }

// start runs `sesame serve` and waits until it answers.
func (s *server) start() error {
	logf, _ := os.OpenFile(filepath.Join(s.dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	args := append([]string{"serve", "--addr", s.addr, "--url", s.url}, s.storeArgs()...)
	name := s.bin
	if s.cpu >= 0 {
		args = append([]string{"-c", strconv.Itoa(s.cpu), s.bin}, args...)
		name = "taskset"
	}
	s.cmd = exec.Command(name, args...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// The access log of every request would measure the disk, not Sesame.
	s.cmd.Env = append(os.Environ(), "SESAME_LOG_LEVEL=warn")
	if s.noRateLimits {
		s.cmd.Env = append(s.cmd.Env, "SESAME_RATE_LIMITS=off")
	}
	if s.cpu >= 0 {
		s.cmd.Env = append(s.cmd.Env, "GOMAXPROCS=1")
	}
	if s.pprofAddr != "" {
		s.cmd.Env = append(s.cmd.Env, "SESAME_PPROF_ADDR="+s.pprofAddr)
	}
	begin := time.Now()
	if err := s.cmd.Start(); err != nil {
		return err
	}
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := c.Get(s.url + "/.well-known/openid-configuration")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				s.startup = time.Since(begin)
				return nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.halt()
	return errors.New("sesame serve did not come up")
}

// halt stops the server process and keeps its data.
func (s *server) halt() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// stop stops the server and deletes its data.
func (s *server) stop() {
	s.halt()
	os.RemoveAll(s.dir)
}

// rss and hwm read the server's resident and peak resident memory.
func (s *server) rss() int64 { return procStatus(s.pid(), "VmRSS:") }
func (s *server) hwm() int64 { return procStatus(s.pid(), "VmHWM:") }

// pid is the server's process (taskset execs it in place).
func (s *server) pid() int {
	if s.cmd == nil || s.cmd.Process == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

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

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// profile saves the server's CPU profile over the next d to path, and
// the top functions by cumulative and flat time beside it (path.txt).
func (s *server) profile(path string, d time.Duration) {
	secs := max(1, int(d.Seconds()))
	c := &http.Client{Timeout: d + time.Minute}
	resp, err := c.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", s.pprofAddr, secs))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
		return
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench: profile:", err)
		return
	}
	var out []byte
	for _, sort := range []string{"-cum", "-flat"} {
		o, _ := exec.Command("go", "tool", "pprof", "-top", sort, "-nodecount=25", s.bin, path).CombinedOutput()
		out = append(out, o...)
	}
	os.WriteFile(path+".txt", out, 0o644)
}
