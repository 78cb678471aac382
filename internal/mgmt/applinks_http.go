package mgmt

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net/http"
	"net/url"
	"sync"

	"github.com/sesame-idp/sesame/internal/oktaerr"

	"github.com/sesame-idp/sesame/internal/store"
	"github.com/sesame-idp/sesame/internal/web"
)

func (h *Handler) registerAppLinks(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/groups/{groupId}/apps", h.auth("okta.groups.read", h.listGroupApps))
	mux.Handle("GET /api/v1/users/{userId}/appLinks", h.auth("okta.users.read", h.listAppLinks))
	mux.HandleFunc("GET /home/{appName}/{appId}/{linkName}", h.launchApp)
}

// launchApp is where an app's appLinks link (Okta's dashboard chiclet)
// goes: to the app's own sign-in start (initiate_login_uri), else its home
// page (client_uri). An app with neither has nowhere to send a person.
func (h *Handler) launchApp(w http.ResponseWriter, r *http.Request) {
	a, err := h.svc.GetApp(r.Context(), r.PathValue("appId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	if link := appLaunchURL(a); link != "" && a.Status == store.StatusActive {
		http.Redirect(w, r, link, http.StatusFound)
		return
	}
	web.WriteError(w, oktaerr.New(http.StatusNotFound, oktaerr.CodeNotFound, "Not found: Resource not found: "+a.ID+" (AppLink)",
		"The app has no sign-in link: set settings.oauthClient.initiate_login_uri (or client_uri), and keep the app ACTIVE."))
}

func appLaunchURL(a *store.App) string {
	s := a.Settings.OAuthClient
	if s.InitiateLoginURI != "" {
		return s.InitiateLoginURI
	}
	if s.ClientURI != nil {
		return *s.ClientURI
	}
	return ""
}

// listGroupApps lists the apps a group is assigned to, as GET /api/v1/apps
// with filter=group.id eq "…" does, paged by app id.
func (h *Handler) listGroupApps(w http.ResponseWriter, r *http.Request, p *principal) {
	g, err := h.svc.GetGroup(r.Context(), r.PathValue("groupId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	limit, after, werr := web.PageParams(r, appsDefaultLimit, appsMaxLimit)
	if werr != nil {
		web.WriteError(w, werr)
		return
	}
	apps, next, err := pageMatching(limit, after, func(p store.Page) ([]*store.App, error) { return h.svc.ListApps(r.Context(), p) },
		func(a *store.App) string { return a.ID }, func(a *store.App) bool {
			_, err := h.svc.GetAppGroup(r.Context(), a.ID, g.ID)
			return err == nil
		})
	writeScanned(h, w, r, limit, apps, next, err, func(a *store.App) AppJSON { return AppToJSON(a, h.orgURL, "") })
}

// AppLinkJSON is one entry of a person's app dashboard (Okta's AppLink).
type AppLinkJSON struct {
	ID               string `json:"id"`
	Label            string `json:"label"`
	LinkURL          string `json:"linkUrl"`
	LogoURL          string `json:"logoUrl"`
	AppName          string `json:"appName"`
	AppInstanceID    string `json:"appInstanceId"`
	AppAssignmentID  string `json:"appAssignmentId"`
	CredentialsSetup bool   `json:"credentialsSetup"`
	Hidden           bool   `json:"hidden"`
	SortOrder        int    `json:"sortOrder"`
}

// listAppLinks lists the active apps a person is assigned to, directly or
// through a group; each link is the app's launch link (launchApp).
func (h *Handler) listAppLinks(w http.ResponseWriter, r *http.Request, p *principal) {
	u, err := h.svc.GetUser(r.Context(), r.PathValue("userId"))
	if err != nil {
		h.writeErr(w, r, err)
		return
	}
	out := []AppLinkJSON{}
	for after := ""; ; {
		apps, err := h.svc.ListApps(r.Context(), store.Page{After: after, Limit: 200})
		if err != nil {
			h.writeErr(w, r, err)
			return
		}
		for _, a := range apps {
			if a.Status != store.StatusActive {
				continue
			}
			au, err := h.svc.GetAppUser(r.Context(), a.ID, u.ID)
			if err != nil {
				continue
			}
			s := a.Settings.OAuthClient
			link := h.orgURL + "/home/" + url.PathEscape(a.Name) + "/" + url.PathEscape(a.ID) + "/oidc_client_link"
			logo := h.orgURL + "/img/logos/default.png"
			if s.LogoURI != nil && *s.LogoURI != "" {
				logo = *s.LogoURI
			}
			out = append(out, AppLinkJSON{ID: a.ID, Label: a.Label, LinkURL: link, LogoURL: logo, AppName: a.Name,
				AppInstanceID: a.ID, AppAssignmentID: au.UserID, SortOrder: len(out)})
		}
		if len(apps) < 200 {
			break
		}
		after = apps[len(apps)-1].ID
	}
	web.WriteJSON(w, http.StatusOK, out)
}

// logos serves the pictures Sesame's answers link to (groups' logo links,
// app links' logoUrl): Okta's are product artwork Sesame does not have, so
// each is a plain square of the size the link names, drawn once.
func (h *Handler) registerLogos(mux *http.ServeMux) {
	for path, size := range map[string]int{
		"/img/logos/groups/okta-medium.png": 64,
		"/img/logos/groups/okta-large.png":  128,
		"/img/logos/default.png":            64,
	} {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "image/png")
			w.Header().Set("Cache-Control", "public, max-age=86400")
			w.Write(logoPNG(size))
		})
	}
}

var (
	logoMu    sync.Mutex
	logoCache = map[int][]byte{}
)

func logoPNG(size int) []byte {
	logoMu.Lock()
	defer logoMu.Unlock()
	if b, ok := logoCache[size]; ok {
		return b
	}
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), &image.Uniform{color.RGBA{0x00, 0x7d, 0xc1, 0xff}}, image.Point{}, draw.Src)
	var buf bytes.Buffer
	png.Encode(&buf, img)
	logoCache[size] = buf.Bytes()
	return logoCache[size]
}
