package console

import (
	"bytes"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/sesame-idp/sesame/internal/audit"
	"github.com/sesame-idp/sesame/internal/mgmtclient"
	"github.com/sesame-idp/sesame/internal/oauth"
	"github.com/sesame-idp/sesame/internal/oktaerr"
	"github.com/sesame-idp/sesame/internal/pages"
	"github.com/sesame-idp/sesame/internal/service"
	"github.com/sesame-idp/sesame/internal/signin"
	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

//go:embed templates/admin/*.html static/*
var adminFS embed.FS

// adminCSP allows the console's own stylesheet and nothing else: no script
// at all, no third-party origin, forms only to this server, never framed.
const adminCSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

var adminFuncs = template.FuncMap{
	"join":     strings.Join,
	"opLabel":  opLabel,
	"tab":      func(id, current string) map[string]string { return map[string]string{"ID": id, "Current": current} },
	"statuses": func() []string { return personStatuses },
	"has": func(list []string, v string) bool {
		for _, s := range list {
			if s == v {
				return true
			}
		}
		return false
	},
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
}

// adminPages are parsed once: each page is the layout plus its own content.
var adminPages = func() map[string]*template.Template {
	names, err := adminFS.ReadDir("templates/admin")
	if err != nil {
		panic(err)
	}
	m := map[string]*template.Template{}
	for _, n := range names {
		if n.Name() == "layout.html" {
			continue
		}
		m[strings.TrimSuffix(n.Name(), ".html")] = template.Must(template.New("layout.html").Funcs(adminFuncs).
			ParseFS(adminFS, "templates/admin/layout.html", "templates/admin/"+n.Name()))
	}
	return m
}()

// Console is the admin console under /admin. It is a client of the same
// service layer as the management API: every change goes through service
// (and, for apps, through the management API's own decoding and
// validation), with the signed-in administrator as the System Log actor.
type Console struct {
	svc      *service.Service
	sessions *signin.Manager
	// api is the management API in-process, for reads whose query
	// language lives there (people search, the System Log filter): the
	// console asks it rather than parsing those languages a second time.
	api *mgmtclient.Client
	// oauth is the token service, whose own code the Token Preview runs.
	oauth *oauth.Server
	log   *slog.Logger
}

// New returns the console. api is the management API handler the console
// reads through (mgmt.Handler.Local); the console checks the administrator's
// roles itself before it asks. tokens is the OAuth server the Token
// Preview asks.
func New(svc *service.Service, sessions *signin.Manager, api http.Handler, tokens *oauth.Server, log *slog.Logger) *Console {
	return &Console{svc: svc, sessions: sessions, api: mgmtclient.Local(svc.OrgURL, api), oauth: tokens, log: log}
}

// Register adds the console's routes.
func (c *Console) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/static/{file}", c.static)
	mux.HandleFunc("GET /admin/{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/admin", http.StatusFound)
	})
	mux.Handle("GET /admin", c.admin("", c.dashboard))
	mux.Handle("POST /admin/signout", c.admin("", c.signOut))
	c.registerApps(mux)
	c.registerAppTabs(mux)
	c.registerAppSecrets(mux)
	c.registerAppSignOn(mux)
	c.registerAPI(mux)
	c.registerDirectory(mux)
	mux.Handle("GET /admin/logs", c.admin("okta.logs.read", c.systemLog))
}

// request is what every console handler gets: who is signed in, and the
// CSRF token its forms carry.
type request struct {
	user *store.User
	csrf string
}

// ctx is the service context of a change the administrator makes.
func (q *request) ctx(r *http.Request) service.Context {
	return service.Context{Actor: audit.UserActor(q.user), Request: audit.RequestFrom(r)}
}

type handler func(w http.ResponseWriter, r *http.Request, q *request)

// admin wraps a handler: the request needs a live session of a person who
// holds an admin role, whose roles allow action (an okta.* scope, as the
// management API route of the same change needs; "" for any administrator),
// and a POST needs the form's CSRF token.
func (c *Console) admin(action string, next handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, err := c.sessions.CurrentOrUnavailable(r)
		if err != nil {
			c.message(w, r, http.StatusServiceUnavailable, "Sesame is unavailable", "The database cannot be reached. Try again in a moment.")
			return
		}
		if s == nil {
			// A POST whose session ended goes back to the page it came
			// from only when it is a console page; its form is lost.
			from := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				from = "/admin"
			}
			http.Redirect(w, r, signin.LoginURL(from), http.StatusFound)
			return
		}
		u, err := c.svc.Store.Users().Get(r.Context(), s.UserID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		q := &request{user: u, csrf: c.sessions.CSRFToken(w, r)}
		ok, err := c.svc.IsAdmin(r.Context(), u.ID)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if !ok {
			c.refuse(w, r, q)
			return
		}
		if action != "" {
			if err := c.svc.Authorize(r.Context(), u, action); err != nil {
				if _, _, isProblem := problem(err); !isProblem {
					c.fail(w, r, err)
					return
				}
				c.render(w, http.StatusForbidden, "message", &view{Title: "Not allowed", User: u, CSRF: q.csrf,
					Data: messageData{"Your administrator role does not allow this (it needs " + action + ")."}})
				return
			}
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, 256<<10)
			if err := r.ParseForm(); err != nil {
				c.message(w, r, http.StatusBadRequest, "The form could not be read", "Go back, reload the page and try again.")
				return
			}
			if !signin.CheckCSRF(r) {
				c.message(w, r, http.StatusForbidden, "This page expired", "The form's security token is missing or does not match. Go back, reload the page and try again; nothing was changed.")
				return
			}
		}
		next(w, r, q)
	})
}

// refuse answers a signed-in person who is not an administrator, and
// records the attempt in the System Log.
func (c *Console) refuse(w http.ResponseWriter, r *http.Request, q *request) {
	err := audit.Record(r.Context(), c.svc.Store, audit.RequestFrom(r), "user.session.access_admin_app",
		"User attempted to access the admin console without an administrator role", audit.UserActor(q.user), "DENY",
		audit.Target{ID: "admin", Type: "AppInstance", AlternateID: "Sesame Admin Console", DisplayName: "Sesame Admin Console"})
	if err != nil {
		c.log.Error("recording refused console access failed", "request_id", web.RequestID(r.Context()), "err", err)
	}
	c.render(w, http.StatusForbidden, "refused", &view{Title: "Not an administrator", User: q.user, CSRF: q.csrf})
}

// view is what the layout needs; Data is the page's own.
type view struct {
	Title, Section  string
	OrgName, OrgURL string
	User            *store.User
	CSRF            string
	Notice, Error   string
	Causes          []string
	Data            any
}

func (c *Console) render(w http.ResponseWriter, status int, name string, v *view) {
	if org := c.svc.Cache.Current().Org; org != nil {
		v.OrgName = org.Name
	}
	v.OrgURL = c.svc.OrgURL
	var buf bytes.Buffer
	if err := adminPages[name].Execute(&buf, v); err != nil {
		c.log.Error("rendering console page failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	pages.SetHeaders(w, adminCSP)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type messageData struct{ Text string }

func (c *Console) message(w http.ResponseWriter, r *http.Request, status int, title, text string) {
	c.render(w, status, "message", &view{Title: title, Data: messageData{text}})
}

// fail answers an error a handler did not expect: a store failure is
// logged and shown without detail.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oktaerr.Error
	if errors.As(err, &oe) && oe.Status == http.StatusNotFound {
		c.message(w, r, http.StatusNotFound, "Not found", "It does not exist, or it was deleted.")
		return
	}
	if errors.Is(err, store.ErrUnavailable) {
		c.message(w, r, http.StatusServiceUnavailable, "Sesame is unavailable", "The database cannot be reached. Try again in a moment.")
		return
	}
	c.log.Error("console request failed", "request_id", web.RequestID(r.Context()), "path", r.URL.Path, "err", err)
	c.message(w, r, http.StatusInternalServerError, "Something went wrong", "Something went wrong on the server; nothing more was saved. Try again.")
}

// problem turns a validation error from the service into the lines a form
// shows; ok is false for any other error.
func problem(err error) (summary string, causes []string, ok bool) {
	var oe *oktaerr.Error
	if !errors.As(err, &oe) || oe.Status >= 500 {
		return "", nil, false
	}
	for _, c := range oe.Causes {
		causes = append(causes, c.Summary)
	}
	return oe.Summary, causes, true
}

func (c *Console) static(w http.ResponseWriter, r *http.Request) {
	b, err := adminFS.ReadFile("static/" + r.PathValue("file"))
	if err != nil || !strings.HasSuffix(r.PathValue("file"), ".css") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(b)
}

func (c *Console) signOut(w http.ResponseWriter, r *http.Request, q *request) {
	if s := c.sessions.End(r.Context(), w, r); s != nil {
		if err := audit.Record(r.Context(), c.svc.Store, audit.RequestFrom(r), "user.session.end", "User logout from Okta",
			audit.UserActor(q.user), "SUCCESS", audit.Target{ID: s.ID, Type: "Session"}); err != nil {
			c.log.Error("recording sign-out failed", "err", err)
		}
	}
	c.render(w, http.StatusOK, "message", &view{Title: "Signed out", Data: messageData{"You are signed out of the admin console."}})
}
