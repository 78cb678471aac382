package openmetadata

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
)

// hostClass is how OpenMetadata's URL filter (URLValidator, main branch
// 2026) sees a URL's host.
type hostClass int

const (
	publicHost       hostClass = iota // resolves to public addresses only, or not at all
	internalLiteral                   // written as a loopback/private/link-local IP: refused whatever the settings
	resolvesInternal                  // a name with a loopback/private address: refused unless AllowInternalEnv
)

// classifyHost resolves host as OpenMetadata's filter would, from this
// machine (the OpenMetadata server may resolve differently: a container
// has its own localhost and DNS). addrs are the internal addresses found.
func classifyHost(ctx context.Context, host string) (hostClass, []string) {
	if ip := net.ParseIP(host); ip != nil {
		if internalIP(ip) {
			return internalLiteral, []string{ip.String()}
		}
		return publicHost, nil
	}
	if h := strings.ToLower(strings.TrimSuffix(host, ".")); strings.HasSuffix(h, ".localhost") {
		// RFC 6761: browsers answer loopback without asking DNS, and inside
		// a container the override maps the name to the Docker host; an
		// internal address either way, even where this machine's resolver
		// does not know the name.
		return resolvesInternal, []string{"a loopback or Docker host address (*.localhost)"}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return publicHost, nil
	}
	var internal []string
	for _, ip := range ips {
		if internalIP(ip.IP) {
			internal = append(internal, ip.IP.String())
		}
	}
	if len(internal) > 0 {
		return resolvesInternal, internal
	}
	return publicHost, nil
}

func internalIP(ip net.IP) bool {
	return ip.IsLoopback() || ip.IsUnspecified() || ip.IsLinkLocalUnicast() || ip.IsPrivate() || ip.IsMulticast()
}

// localHost says whether a host means "this machine" to whoever resolves
// it: inside a container that is the container.
func localHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// checkAddresses says up front what OpenMetadata will make of the org URL
// and its own URL (both are fetched by its settings validation: the
// authority's discovery and key set, and OpenMetadata's own key set in
// publicKeyUrls), and sets AllowInternal when a name needs the switch.
func (r *Result) checkAddresses(ctx context.Context) {
	for _, u := range []struct{ flag, raw string }{{"--org-url", r.OrgURL}, {"--om-url", r.OMURL}} {
		pu, err := url.Parse(u.raw)
		if err != nil {
			continue
		}
		host := pu.Hostname()
		switch class, addrs := classifyHost(ctx, host); class {
		case internalLiteral:
			r.note("%s %s is written as a loopback or private IP address: OpenMetadata's settings validation "+
				"(Settings → SSO, and sesame openmetadata apply) refuses such a URL whatever its settings. The first-start files "+
				"are not validated and work; for apply, use a host name (see docs/openmetadata.md, Addresses).", u.flag, u.raw)
		case resolvesInternal:
			r.AllowInternal = true
			r.note("%s %s resolves to %s: OpenMetadata's settings validation refuses such a host unless its server runs with "+
				"%s=true, which the files below set (it also lets OpenMetadata's webhooks reach internal addresses).",
				u.flag, u.raw, strings.Join(addrs, ", "), AllowInternalEnv)
		}
	}
}

// checkContainerReach: OpenMetadata's server fetches the authority's key
// set; in a container, localhost is the container.
func (r *Result) checkContainerReach() {
	if pu, err := url.Parse(r.authorityOrOrg()); err == nil && localHost(pu.Hostname()) {
		r.note("%s: an OpenMetadata server in a container reaches its own localhost there, not Sesame. Give Sesame a name "+
			"both the browser and the container resolve, such as http://sesame.localhost:%s (browsers resolve *.localhost to this "+
			"machine; %s maps it to the Docker host for the container; where this machine's resolver does not, add 127.0.0.1 sesame.localhost "+
			"to /etc/hosts) with sesame serve --addr 0.0.0.0:%[2]s --url http://sesame.localhost:%[2]s.",
			r.authorityOrOrg(), portOr(pu, "8080"), ComposeFile)
	}
}

// authorityOrOrg is the URL OpenMetadata is given for Sesame: the issuer,
// whose host the server configuration decides (sesame serve --url) and may
// differ from the --org-url setup called.
func (r *Result) authorityOrOrg() string {
	if r.Issuer != "" {
		return r.Issuer
	}
	return r.OrgURL
}

// checkIssuerAddress is checkAddresses for an issuer whose host is not the
// org URL's: that host is the one OpenMetadata fetches.
func (r *Result) checkIssuerAddress(ctx context.Context) {
	r.checkContainerReach()
	iu, err1 := url.Parse(r.Issuer)
	ou, err2 := url.Parse(r.OrgURL)
	if err1 != nil || err2 != nil || strings.EqualFold(iu.Hostname(), ou.Hostname()) {
		return
	}
	switch class, addrs := classifyHost(ctx, iu.Hostname()); class {
	case internalLiteral:
		r.note("The issuer %s is written as a loopback or private IP address: OpenMetadata's settings validation refuses it whatever its settings.", r.Issuer)
	case resolvesInternal:
		r.AllowInternal = true
		r.note("The issuer %s resolves to %s: the files below set %s=true for OpenMetadata's settings validation.", r.Issuer, strings.Join(addrs, ", "), AllowInternalEnv)
	}
}

func portOr(u *url.URL, def string) string {
	if p := u.Port(); p != "" {
		return p
	}
	return def
}

// containerHosts are the names the OpenMetadata container must resolve to
// the Docker host: a *.localhost org URL, which browsers resolve to their
// machine and containers do not resolve at all.
func (r *Result) containerHosts() []string {
	pu, err := url.Parse(r.authorityOrOrg())
	if err != nil {
		return nil
	}
	h := strings.ToLower(pu.Hostname())
	if strings.HasSuffix(h, ".localhost") {
		return []string{h}
	}
	return nil
}

// describeHost is check's line for one URL OpenMetadata's filter will see.
func describeHost(ctx context.Context, raw string, allowed bool) CheckItem {
	pu, err := url.Parse(raw)
	if err != nil {
		return CheckItem{Level: Fail, What: "OpenMetadata's URL filter: " + raw, Detail: err.Error()}
	}
	what := "OpenMetadata's URL filter accepts " + raw
	switch class, addrs := classifyHost(ctx, pu.Hostname()); {
	case class == internalLiteral:
		return CheckItem{Level: Warn, What: what, Detail: "no: the host is written as an internal IP address; the settings API (apply) " +
			"refuses it whatever the settings — use a host name"}
	case class == resolvesInternal && !allowed:
		return CheckItem{Level: Warn, What: what, Detail: fmt.Sprintf("no: %s resolves to %s here; the settings API (apply) refuses it "+
			"unless OpenMetadata runs with %s=true", pu.Hostname(), strings.Join(addrs, ", "), AllowInternalEnv)}
	case class == resolvesInternal:
		return CheckItem{Level: OK, What: what, Detail: fmt.Sprintf("with %s=true (%s resolves to %s)", AllowInternalEnv, pu.Hostname(), strings.Join(addrs, ", "))}
	}
	return CheckItem{Level: OK, What: what}
}
