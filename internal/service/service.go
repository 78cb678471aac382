package service

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/cache"
	"github.com/sesame-idp/sesame/internal/keys"
	"github.com/sesame-idp/sesame/internal/store"
)

// Service holds what the operations need.
type Service struct {
	Store  store.Store
	Sealer *keys.Sealer
	Cache  *cache.Cache
	OrgURL string
	Log    *slog.Logger
	Now    func() time.Time
	// FixedKeys, when set, supplies the first signing key of a server by
	// name ("org" for the org authorization server) or nil for a new one:
	// development orgs keep their keys, and so their tokens, across restarts.
	FixedKeys func(server string) crypto.Signer
	// Links delivers activation and password-reset links when a lifecycle
	// request asks for an e-mail (sendEmail=true); nil when no mail server
	// is configured (the link is then returned to the administrator).
	Links LinkSender
}

// New returns a Service.
func New(st store.Store, sealer *keys.Sealer, c *cache.Cache, orgURL string, log *slog.Logger) *Service {
	return &Service{Store: st, Sealer: sealer, Cache: c, OrgURL: strings.TrimRight(orgURL, "/"), Log: log, Now: time.Now}
}

// Context identifies who acts and the request that carries the action, for
// the System Log.
type Context struct {
	Actor   audit.Actor
	Request audit.Request
}

// SystemContext is for actions Sesame takes on its own.
var SystemContext = Context{Actor: audit.System}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Millisecond) }

// configChange runs fn in a transaction that also bumps the config version,
// then reloads this replica's cache so that the change is in force on return.
func (s *Service) configChange(ctx context.Context, fn func(tx store.Store) error) error {
	err := s.Store.InTx(ctx, func(tx store.Store) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Config().Bump(ctx)
	})
	if err != nil {
		return err
	}
	if s.Cache != nil {
		if err := s.Cache.Load(ctx, false); err != nil {
			return fmt.Errorf("reload configuration: %w", err)
		}
	}
	return nil
}

func (s *Service) record(ctx context.Context, tx store.Store, c Context, eventType, msg string, targets ...audit.Target) error {
	return audit.Record(ctx, tx, c.Request, eventType, msg, c.Actor, "SUCCESS", targets...)
}

// ErrAlreadyInitialized is returned by Initialize on an initialized store.
var ErrAlreadyInitialized = errors.New("this Sesame database is already initialized")
