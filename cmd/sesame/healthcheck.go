package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/sesame-idp/sesame/internal/config"
)

// newHealthcheckCommand is the container image's HEALTHCHECK: distroless has
// no shell, curl or wget, so the binary asks its own server. It reads the same
// SESAME_ADDR as serve, so `docker run -e SESAME_ADDR=:9000` needs nothing
// more.
func newHealthcheckCommand() *cobra.Command {
	var addr, path string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 if the Sesame serving on --addr answers its health endpoint, 1 otherwise (for container health checks)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("addr") {
				if v := os.Getenv("SESAME_ADDR"); v != "" {
					addr = v
				}
			}
			target, err := healthURL(addr, path, os.Getenv("SESAME_TLS_CERT") != "")
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := probe(ctx, target); err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), "healthy:", target)
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", config.DefaultAddr, "listen address of the Sesame to check (env SESAME_ADDR)")
	cmd.Flags().StringVar(&path, "path", "/healthz", "endpoint to ask: /healthz (alive) or /readyz (ready to serve)")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "give up after this long")
	return cmd
}

// healthURL turns a listen address into the URL to ask: a wildcard or empty
// host (":8080", "0.0.0.0:8080") is asked on loopback, since the check runs
// beside the server. When Sesame serves TLS itself (SESAME_TLS_CERT) the
// check speaks https without verifying the certificate: it sends nothing
// secret and only reads the status, and the certificate names the public
// host, not loopback.
func healthURL(addr, path string, tlsOn bool) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("--addr %q: want host:port", addr)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	if path == "" || path[0] != '/' {
		return "", fmt.Errorf("--path %q: want an absolute path such as /healthz", path)
	}
	scheme := "http"
	if tlsOn {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + path, nil
}

func probe(ctx context.Context, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	client := &http.Client{
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, Proxy: nil},
		// A redirect would mean something else answers on this port.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("unhealthy: %s answered %s", target, resp.Status)
	}
	return nil
}
