package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the peers whose forwarding headers Sesame believes: the
// reverse proxies or ingress controllers in front of it (--trusted-proxies).
// Behind a proxy every TCP peer is the proxy, so without them the
// per-address sign-in throttle would count everyone as one client and the
// System Log would name the proxy as every request's client. Headers from
// any other peer are ignored, so a client cannot choose its own address.
type Proxies []netip.Prefix

// ParseProxies reads a comma-separated list of CIDR prefixes or single
// addresses ("10.0.0.0/8, 192.168.1.7, fd00::/8"); empty means none.
func ParseProxies(s string) (Proxies, error) {
	var p Proxies
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if strings.Contains(f, "/") {
			pre, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is not an address or CIDR prefix", f)
			}
			p = append(p, pre.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is not an address or CIDR prefix", f)
		}
		a = a.Unmap()
		p = append(p, netip.PrefixFrom(a, a.BitLen()))
	}
	return p, nil
}

func (p Proxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, pre := range p {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

type forwardedKey struct{}

// forwarded is what a trusted proxy said about the request.
type forwarded struct {
	ip     string
	scheme string
}

// Wrap believes the forwarding headers of requests whose peer is a trusted
// proxy: the client address is the right-most address in the chain that is
// not itself a trusted proxy (addresses to its left were written by the
// client and may be anything), the scheme and host are those the proxy
// received. Without trusted proxies it changes nothing.
func (p Proxies) Wrap(h http.Handler) http.Handler {
	if len(p) == 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !p.trusts(peer.Addr()) {
			h.ServeHTTP(w, r)
			return
		}
		chain, proto, host := forwardingHeaders(r.Header)
		client := peer.Addr().Unmap()
		for i := len(chain) - 1; i >= 0; i-- {
			a, ok := parseForwardedAddr(chain[i])
			if !ok {
				// An entry that is not an address (a proxy's "unknown" or an
				// obfuscated name) ends what can be believed.
				break
			}
			client = a
			if !p.trusts(a) {
				break
			}
		}
		f := forwarded{ip: client.String()}
		if proto == "https" || proto == "http" {
			f.scheme = proto
		}
		if host != "" && validHost(host) {
			r.Host = host
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), forwardedKey{}, f)))
	})
}

// forwardingHeaders reads RFC 7239's Forwarded when present, else the
// X-Forwarded-For/-Proto/-Host family. For proto and host the last value
// counts: the one the nearest proxy wrote.
func forwardingHeaders(hd http.Header) (chain []string, proto, host string) {
	if fw := hd.Values("Forwarded"); len(fw) > 0 {
		for _, line := range fw {
			for _, elem := range strings.Split(line, ",") {
				for _, pair := range strings.Split(elem, ";") {
					k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
					if !ok {
						continue
					}
					v = strings.Trim(v, `"`)
					switch strings.ToLower(k) {
					case "for":
						chain = append(chain, v)
					case "proto":
						proto = strings.ToLower(v)
					case "host":
						host = v
					}
				}
			}
		}
		return chain, proto, host
	}
	for _, line := range hd.Values("X-Forwarded-For") {
		for _, v := range strings.Split(line, ",") {
			chain = append(chain, strings.TrimSpace(v))
		}
	}
	return chain, strings.ToLower(lastValue(hd.Values("X-Forwarded-Proto"))), lastValue(hd.Values("X-Forwarded-Host"))
}

func lastValue(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	vals := strings.Split(lines[len(lines)-1], ",")
	return strings.TrimSpace(vals[len(vals)-1])
}

// parseForwardedAddr reads "192.0.2.1", "192.0.2.1:4711", "[2001:db8::1]"
// and "[2001:db8::1]:4711".
func parseForwardedAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// validHost accepts a host[:port] of the characters a DNS name or an
// address has; anything else is left as the request's own Host.
func validHost(h string) bool {
	if len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.ContainsRune(".-:[]", c):
		default:
			return false
		}
	}
	return true
}

// ClientIP is the address of the client that sent the request: the TCP
// peer, or, behind a trusted proxy, the address it forwarded.
func ClientIP(r *http.Request) string {
	if f, ok := r.Context().Value(forwardedKey{}).(forwarded); ok {
		return f.ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Scheme is the scheme the client used: https when Sesame serves TLS itself
// or a trusted proxy says it received https.
func Scheme(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	if f, ok := r.Context().Value(forwardedKey{}).(forwarded); ok && f.scheme != "" {
		return f.scheme
	}
	return "http"
}
