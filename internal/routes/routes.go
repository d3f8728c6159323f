// Package routes finds the platform's UIs and their URLs in Gateway API
// objects: the HTTPRoutes attached to a Gateway, each URL's host from the
// route's hostnames or the listener's, its path from the route's path match,
// https when the route is served by an HTTPS listener. It reads objects as
// users and charts write them (unstructured), from the cluster (`fleetup
// urls`) or from a chart's rendering (the catalog's tests).
package routes

import (
	"fmt"
	"sort"
	"strings"
)

// IssuerAnnotation is cert-manager's annotation naming the ClusterIssuer of
// a Gateway's listener certificates.
const IssuerAnnotation = "cert-manager.io/cluster-issuer"

// solverLabel marks the HTTPRoutes cert-manager makes for HTTP-01
// challenges: plumbing, not a UI.
const solverLabel = "acme.cert-manager.io/http01-solver"

// Listener is one listener of a Gateway.
type Listener struct {
	Name     string `json:"name"`
	Protocol string `json:"protocol"`
	Port     int64  `json:"port"`
	// Hostname is empty when the listener takes every host.
	Hostname string `json:"hostname,omitempty"`
}

// Gateway is what a URL needs of a Gateway.
type Gateway struct {
	Namespace string     `json:"namespace"`
	Name      string     `json:"name"`
	Listeners []Listener `json:"listeners"`
	// Addresses are the Gateway's status addresses (its load balancer).
	Addresses []string `json:"addresses"`
	// Issuer is the ClusterIssuer cert-manager certifies it with.
	Issuer string `json:"issuer,omitempty"`
}

// Key is namespace/name.
func (g Gateway) Key() string { return g.Namespace + "/" + g.Name }

// UI is one route to a user-facing Service and where to open it.
type UI struct {
	// Name and Namespace are the HTTPRoute's.
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
	// URL is scheme, host, port and Path; empty when no host is known (no
	// hostname and no Gateway address yet): Reason then says why.
	URL      string `json:"url,omitempty"`
	Host     string `json:"host,omitempty"`
	Path     string `json:"path"`
	TLS      bool   `json:"tls"`
	Gateway  string `json:"gateway"`
	Listener string `json:"listener"`
	// Backends are the Services it sends to, namespace/name:port.
	Backends []string `json:"backends"`
	// Accepted is what the Gateway's controller said of the route: "true",
	// "false" (Reason says why) or "" (no word from a controller yet).
	Accepted string `json:"accepted,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// Gateways reads Gateway objects.
func Gateways(objs []map[string]any) []Gateway {
	var out []Gateway
	for _, o := range objs {
		g := Gateway{Namespace: str(o, "metadata", "namespace"), Name: str(o, "metadata", "name"), Addresses: []string{}}
		g.Issuer = str(o, "metadata", "annotations", IssuerAnnotation)
		for _, l := range list(o, "spec", "listeners") {
			g.Listeners = append(g.Listeners, Listener{
				Name: str(l, "name"), Protocol: str(l, "protocol"), Port: num(l, "port"), Hostname: str(l, "hostname"),
			})
		}
		for _, a := range list(o, "status", "addresses") {
			if v := str(a, "value"); v != "" {
				g.Addresses = append(g.Addresses, v)
			}
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

// UIs are the HTTPRoutes attached to one of gws that send to a Service,
// one entry per host, sorted by URL. Redirects and cert-manager's HTTP-01
// solver routes are left out.
func UIs(gws []Gateway, routes []map[string]any) []UI {
	byKey := map[string]Gateway{}
	for _, g := range gws {
		byKey[g.Key()] = g
	}
	var out []UI
	for _, r := range routes {
		if str(r, "metadata", "labels", solverLabel) != "" {
			continue
		}
		backends, path := backendsAndPath(r)
		if len(backends) == 0 {
			continue
		}
		ns := str(r, "metadata", "namespace")
		for _, ref := range list(r, "spec", "parentRefs") {
			if k := str(ref, "kind"); k != "" && k != "Gateway" {
				continue
			}
			gwNS := str(ref, "namespace")
			if gwNS == "" {
				gwNS = ns
			}
			g, ok := byKey[gwNS+"/"+str(ref, "name")]
			if !ok {
				continue
			}
			for _, u := range place(g, ref, stringsOf(r, "spec", "hostnames")) {
				u.Name, u.Namespace, u.Path, u.Backends = str(r, "metadata", "name"), ns, path, backends
				if u.URL != "" {
					u.URL += path
				}
				u.Accepted, u.Reason = accepted(r, g)
				if u.URL == "" && u.Reason == "" {
					u.Reason = "no host: the route and its listener have no hostname and the Gateway has no address yet"
				}
				out = append(out, u)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].URL != out[j].URL {
			return out[i].URL < out[j].URL
		}
		return out[i].Namespace+"/"+out[i].Name < out[j].Namespace+"/"+out[j].Name
	})
	return out
}

// place finds, for each host of the route, the listener of g that serves
// it, HTTPS before HTTP, and makes the URL's scheme and authority.
func place(g Gateway, ref map[string]any, hostnames []string) []UI {
	section, port := str(ref, "sectionName"), num(ref, "port")
	var ls []Listener
	for _, l := range g.Listeners {
		if (section == "" || l.Name == section) && (port == 0 || l.Port == port) && (l.Protocol == "HTTPS" || l.Protocol == "HTTP") {
			ls = append(ls, l)
		}
	}
	// HTTPS first: a route on both listeners is opened over TLS.
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Protocol == "HTTPS" && ls[j].Protocol != "HTTPS" })
	hosts := hostnames
	if len(hosts) == 0 {
		hosts = []string{""}
	}
	var out []UI
	for _, h := range hosts {
		for _, l := range ls {
			host, ok := hostFor(h, l.Hostname)
			if !ok {
				continue
			}
			u := UI{Gateway: g.Key(), Listener: l.Name, TLS: l.Protocol == "HTTPS", Host: host}
			if host == "" && len(g.Addresses) > 0 {
				u.Host = g.Addresses[0]
			}
			if strings.HasPrefix(u.Host, "*.") {
				u.Reason = fmt.Sprintf("the route has no hostname of its own and listener %s serves the wildcard %s: give the route a hostname", l.Name, u.Host)
			} else if u.Host != "" {
				u.URL = url(u.TLS, u.Host, l.Port)
			}
			out = append(out, u)
			break
		}
	}
	return out
}

// hostFor is the host a route hostname gets on a listener (Gateway API's
// intersection: a listener without hostname takes any, a wildcard listener
// takes hosts one or more labels below its suffix), and whether it may.
func hostFor(routeHost, listenerHost string) (string, bool) {
	switch {
	case routeHost == "":
		return listenerHost, true
	case listenerHost == "":
		return routeHost, true
	}
	return routeHost, Covers(listenerHost, routeHost)
}

// Covers reports whether a listener hostname (exact, or "*.suffix")
// accepts host as Gateway API defines it: a wildcard matches any host with
// at least one more label in front of its suffix, never the suffix itself.
func Covers(listenerHost, host string) bool {
	if listenerHost == "" {
		return true
	}
	if suffix, ok := strings.CutPrefix(listenerHost, "*"); ok {
		if h, ok := strings.CutPrefix(host, "*"); ok {
			host = "x" + h // a wildcard route host is covered when its suffix is
		}
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return strings.EqualFold(listenerHost, host)
}

func url(tls bool, host string, port int64) string {
	scheme, def := "http", int64(80)
	if tls {
		scheme, def = "https", 443
	}
	if port != 0 && port != def {
		return fmt.Sprintf("%s://%s:%d", scheme, host, port)
	}
	return scheme + "://" + host
}

// backendsAndPath are the Services a route sends to and the path of its
// first rule that sends somewhere ("/" when it matches every path).
func backendsAndPath(r map[string]any) ([]string, string) {
	ns := str(r, "metadata", "namespace")
	var backends []string
	path := ""
	for _, rule := range list(r, "spec", "rules") {
		refs := list(rule, "backendRefs")
		if len(refs) == 0 {
			continue
		}
		for _, b := range refs {
			if k := str(b, "kind"); k != "" && k != "Service" {
				continue
			}
			bns := str(b, "namespace")
			if bns == "" {
				bns = ns
			}
			backends = append(backends, fmt.Sprintf("%s/%s:%d", bns, str(b, "name"), num(b, "port")))
		}
		if path == "" {
			path = "/"
			for _, m := range list(rule, "matches") {
				if t := str(m, "path", "type"); t == "PathPrefix" || t == "Exact" || t == "" {
					if v := str(m, "path", "value"); v != "" {
						path = v
						break
					}
				}
			}
		}
	}
	return backends, path
}

// accepted is the route's Accepted condition for the Gateway, as its
// controller wrote it in status.parents.
func accepted(r map[string]any, g Gateway) (string, string) {
	for _, p := range list(r, "status", "parents") {
		ref, _ := p["parentRef"].(map[string]any)
		if ref == nil || str(ref, "name") != g.Name {
			continue
		}
		if ns := str(ref, "namespace"); ns != "" && ns != g.Namespace {
			continue
		}
		for _, c := range list(p, "conditions") {
			if str(c, "type") != "Accepted" {
				continue
			}
			if s := str(c, "status"); s != "True" {
				return "false", fmt.Sprintf("not accepted by Gateway %s: %s %s", g.Key(), str(c, "reason"), str(c, "message"))
			}
			return "true", ""
		}
	}
	return "", ""
}
