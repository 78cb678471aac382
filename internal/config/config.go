// Package config holds Sesame's typed, validated configuration. The CLI
// fills it from flags and SESAME_* environment variables (flags win); this
// package checks it and derives what follows from it.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/mail"
)

// Config is the configuration of a Sesame process.
type Config struct {
	// Addr is the listen address, host:port.
	Addr string
	// URL is the public org URL every issuer is built from: scheme and host,
	// no path, no trailing slash.
	URL string
	// URLAliases are other public URLs (scheme and host) the install is
	// reached under: the issuers of DYNAMIC authorization servers follow the
	// request among the org URL and these; CUSTOM_URL servers use the first.
	URLAliases []string
	// DataDir holds the SQLite database and, with SQLite, the master key.
	DataDir string
	// DatabaseURL selects PostgreSQL when it is a postgres:// URL.
	DatabaseURL string
	// MasterKey (SESAME_MASTER_KEY) or MasterKeyFile supplies the key that
	// encrypts private keys at rest when the database is PostgreSQL.
	MasterKey     string
	MasterKeyFile string
	// RateLimits are requests per minute per endpoint class (nil: the
	// defaults of web.DefaultRateLimits).
	RateLimits map[string]int
	// SessionIdle and SessionLifetime bound browser sessions; LockoutAttempts
	// failed sign-ins in a row lock a user out for LockoutDuration. Zero
	// values take the defaults of package signin; LockoutAttempts < 0 turns
	// lockout off.
	SessionIdle, SessionLifetime time.Duration
	LockoutAttempts              int
	LockoutDuration              time.Duration
	// ShutdownGrace is how long a stopping server lets requests in flight
	// finish (zero: DefaultShutdownGrace).
	ShutdownGrace time.Duration
	// ShutdownDelay is how long a stopping server keeps serving, with
	// /readyz already answering 503, before it stops accepting: the time
	// load balancers need to notice and send no more (zero: stop at once).
	ShutdownDelay time.Duration
	// LogRetention is how long System Log events are kept; the scheduled
	// clean-up deletes older ones (zero: kept for ever).
	LogRetention time.Duration
	// MetricsAddr is the listen address of the metrics and probe endpoints
	// (empty: not served separately).
	MetricsAddr string
	// SMTPURL is the mail server that invitations and password resets go
	// through (package mail's ParseURL); empty: no e-mail, the links are
	// shown to the administrator. SMTPFrom is the sender's address;
	// MailTemplates a directory of templates replacing the embedded ones.
	SMTPURL, SMTPFrom, MailTemplates string
	// TrustedProxies are the peers whose Forwarded/X-Forwarded-* headers
	// are believed (empty: none; every client is its TCP peer).
	TrustedProxies []netip.Prefix
	// TLSCert and TLSKey are PEM files: when set, Sesame serves https itself
	// and reloads them when they change.
	TLSCert, TLSKey string
}

// DefaultShutdownGrace leaves room, within Kubernetes' default 30 s between
// SIGTERM and SIGKILL, for the System Log to be written after the requests.
const DefaultShutdownGrace = 15 * time.Second

// Defaults.
const (
	DefaultAddr    = "localhost:8080"
	DefaultURL     = "http://localhost:8080"
	DefaultDataDir = "./sesame-data"
)

// Postgres reports whether the database is PostgreSQL.
func (c *Config) Postgres() bool {
	return strings.HasPrefix(c.DatabaseURL, "postgres://") || strings.HasPrefix(c.DatabaseURL, "postgresql://")
}

// SQLitePath is the database file used without a PostgreSQL URL.
func (c *Config) SQLitePath() string { return filepath.Join(c.DataDir, "sesame.db") }

// DefaultMasterKeyFile is where the master key lives with SQLite.
func (c *Config) DefaultMasterKeyFile() string { return filepath.Join(c.DataDir, "master.key") }

// Validate normalizes and checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: want host:port", c.Addr))
	}
	c.URL = strings.TrimRight(strings.TrimSpace(c.URL), "/")
	if err := checkOrgURL(c.URL); err != nil {
		errs = append(errs, err)
	}
	for i, a := range c.URLAliases {
		c.URLAliases[i] = strings.TrimRight(strings.TrimSpace(a), "/")
		if err := checkOrgURL(c.URLAliases[i]); err != nil {
			errs = append(errs, fmt.Errorf("--url-alias: %w", err))
		}
	}
	if c.DatabaseURL != "" && !c.Postgres() {
		errs = append(errs, fmt.Errorf("--database-url: only postgres:// URLs are supported (leave it empty for the embedded SQLite database)"))
	}
	if !c.Postgres() && c.DataDir == "" {
		errs = append(errs, errors.New("--data: a data directory is required"))
	}
	if c.SMTPURL != "" {
		if _, err := mail.ParseURL(c.SMTPURL); err != nil {
			errs = append(errs, err)
		}
		if c.SMTPFrom == "" {
			errs = append(errs, errors.New("--smtp-from: the address e-mails come from is required with --smtp-url"))
		} else if _, err := mail.ParseFrom(c.SMTPFrom); err != nil {
			errs = append(errs, err)
		}
	} else if c.SMTPFrom != "" || c.MailTemplates != "" {
		errs = append(errs, errors.New("--smtp-from and --mail-templates need --smtp-url"))
	}
	return errors.Join(errs...)
}

func checkOrgURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want an absolute http(s) URL such as https://idp.example.com", s)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("--url %q: the org URL is a scheme and host only, with no path, query or credentials", s)
	}
	return nil
}
