package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/routes"
)

// URLs is `fleetup urls`: every UI of the platform with its URL, read from
// the HTTPRoutes attached to the cluster's Gateways.
type URLs struct {
	Global *Global
}

// URLsReport is what `fleetup urls -o json` prints.
type URLsReport struct {
	Domain      string           `json:"domain,omitempty"`
	PathRouting bool             `json:"pathRouting"`
	GatewayAPI  bool             `json:"gatewayAPI"`
	Gateways    []routes.Gateway `json:"gateways"`
	UIs         []routes.UI      `json:"uis"`
	// Notes say why a list is empty or a URL is missing, and what to do.
	Notes []string `json:"notes"`
}

// Run prints the URLs; exit 1 when no UI has one yet.
func (u *URLs) Run(ctx context.Context) error {
	g := u.Global
	pl, kc, err := g.loadInstalled(ctx)
	if err != nil {
		return err
	}
	found, err := routes.Read(ctx, kc)
	if err != nil {
		return err
	}
	rep := urlsReport(pl.Config, pl.ArgoNamespace(), found)
	if err := u.print(g.Stdout, rep); err != nil {
		return err
	}
	for _, ui := range rep.UIs {
		if ui.URL != "" {
			return nil
		}
	}
	return &ExitError{Code: ExitFailure}
}

// urlsReport adds to what the cluster has the notes a user needs.
func urlsReport(cfg *config.Config, argoNS string, f routes.Found) URLsReport {
	rep := URLsReport{Domain: cfg.Domain, PathRouting: bool(cfg.PathRouting), GatewayAPI: f.GatewayAPI, Gateways: f.Gateways, UIs: f.UIs, Notes: []string{}}
	note := func(format string, args ...any) { rep.Notes = append(rep.Notes, fmt.Sprintf(format, args...)) }
	synced := "the catalog has not synced it yet: `fleetup status` shows the addons' progress"
	switch {
	case !f.GatewayAPI:
		note("the cluster has no Gateway API yet (envoy-gateway installs it): %s", synced)
	case len(f.Gateways) == 0:
		note("the cluster has no Gateway yet (the platform-gateway addon makes it): %s", synced)
	case len(f.UIs) == 0:
		note("no HTTPRoute to a Service is attached to %s yet (the platform-gateway addon makes Argo CD's): %s", gatewayNames(f.Gateways), synced)
	}
	argoRouted := false
	for _, ui := range f.UIs {
		for _, b := range ui.Backends {
			argoRouted = argoRouted || strings.HasPrefix(b, argoNS+"/")
		}
	}
	if cfg.Domain == "" {
		note("config.yaml sets no domain: the platform has no DNS name and no certificate, so the UIs are served over plain HTTP at the Gateway's address. " +
			"Set domain (and route53_hosted_zone_id) in config.yaml and run fleetup install again for HTTPS URLs")
		if !argoRouted {
			note("Argo CD has no route yet; once the platform-gateway addon is synced it is at http://<the Gateway's address>%s", argoPath(cfg))
		}
	}
	for _, g := range f.Gateways {
		if len(g.Addresses) == 0 && routed(f.UIs, g.Key()) {
			note("Gateway %s has no address yet: its load balancer is being made, and the hosts' DNS records follow it (external-dns)", g.Key())
		}
	}
	if len(f.UIs) > 0 {
		note("the argocd CLI goes through the Gateway with gRPC-web: argocd login <host> --grpc-web%s", grpcRoot(cfg))
	}
	return rep
}

func argoPath(cfg *config.Config) string {
	if cfg.PathRouting {
		return "/argocd"
	}
	return "/"
}

func grpcRoot(cfg *config.Config) string {
	if cfg.PathRouting {
		return " --grpc-web-root-path argocd"
	}
	return ""
}

func gatewayNames(gws []routes.Gateway) string {
	var out []string
	for _, g := range gws {
		out = append(out, "Gateway "+g.Key())
	}
	return strings.Join(out, ", ")
}

// routed reports whether a UI goes through the Gateway key.
func routed(uis []routes.UI, key string) bool {
	for _, ui := range uis {
		if ui.Gateway == key {
			return true
		}
	}
	return false
}

func (u *URLs) print(w io.Writer, rep URLsReport) error {
	if u.Global.Output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	if len(rep.UIs) > 0 {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "UI\tURL\tBACKEND\tGATEWAY")
		for _, ui := range rep.UIs {
			where := ui.URL
			if ui.URL == "" {
				where = "- (" + ui.Reason + ")"
			} else if ui.Accepted == "false" {
				where += " (" + ui.Reason + ")"
			}
			fmt.Fprintf(tw, "%s/%s\t%s\t%s\t%s/%s\n", ui.Namespace, ui.Name, where, strings.Join(ui.Backends, ","), ui.Gateway, ui.Listener)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, n := range rep.Notes {
		if _, err := fmt.Fprintln(w, n); err != nil {
			return err
		}
	}
	return nil
}
