package plan

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/fleetup/fleetup/internal/helm"
	"github.com/fleetup/fleetup/internal/kube"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// WriteText prints the plan for people, in pipeline order.
func (p *Plan) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	pf := func(format string, a ...any) { fmt.Fprintf(ew, format, a...) }

	pf("fleetup plan for %s\n\n", p.ConfigFile)
	pf("Target\n")
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  target\t%s\n  cluster\t%s\n", p.Target.Kind, p.Target.Cluster)
	if p.Target.Region != "" {
		fmt.Fprintf(tw, "  region\t%s\n", p.Target.Region)
	}
	fmt.Fprintf(tw, "  account\t%s\n", p.Target.Account)
	if p.Target.Identity != "" {
		fmt.Fprintf(tw, "  identity\t%s\n", p.Target.Identity)
	}
	if p.Target.Endpoint != "" {
		fmt.Fprintf(tw, "  endpoint\t%s\n", p.Target.Endpoint)
	}
	fmt.Fprintf(tw, "  repository\t%s @ %s (%s)\n  strategy\t%s\n", p.Repository.URL, p.Repository.Revision, p.Repository.BasePath, p.Strategy)
	tw.Flush()

	pf("\nSteps\n")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for i, s := range p.Steps {
		fmt.Fprintf(tw, "  %d.\t%s\t%s\n", i+1, s.Name, s.Description)
	}
	tw.Flush()

	pf("\nSecrets (backend %s, values not shown)\n", p.Secrets.Backend)
	for _, s := range p.Secrets.Items {
		pf("  %s  [%s]\n    keys: %s\n", s.Name, s.Action, strings.Join(s.Keys, ", "))
	}
	for _, m := range p.Secrets.Store {
		pf("  %s\n", describe(m))
	}
	if p.Secrets.StoreFrom != "" {
		pf("  ClusterSecretStore %s from the packages tree (%s); fleetup makes none of its own\n", p.Config.Secrets.StoreName, p.Secrets.StoreFrom)
	}
	for _, w := range p.Secrets.Warnings {
		pf("  warning: %s\n", w)
	}

	pf("\nHelm releases (installed by fleetup, then handed to Argo CD)\n")
	for _, r := range p.Releases {
		from := r.Source.URL
		if r.Source.Path != "" {
			from = r.Source.Path
		}
		pf("  %s: chart %s %s from %s into namespace %s\n", r.Release, r.Chart, r.Version, from, r.Namespace)
		if len(r.ValueFiles) > 0 {
			pf("    value files: %s, then the catalog's valuesObject\n", strings.Join(r.ValueFiles, ", "))
		}
		vals, err := yaml.Marshal(r.Values)
		if err != nil {
			return fmt.Errorf("plan: values of %s: %w", r.Release, err)
		}
		pf("    merged values:\n%s", indent(string(vals), "      "))
	}

	pf("\nBootstrap manifests (server-side apply)\n")
	for _, m := range p.Bootstrap {
		pf("  %s  (%s)\n", describe(m), m.Source)
	}

	if p.HubSecret.Fleetup() {
		pf("\nHub cluster secret\n  %s\n", describe(p.ClusterSecret))
		md, _ := p.ClusterSecret.Object["metadata"].(map[string]any)
		if l, err := yaml.Marshal(md["labels"]); err == nil {
			pf("    labels:\n%s", indent(string(l), "      "))
		}
		if a, err := yaml.Marshal(md["annotations"]); err == nil {
			pf("    annotations:\n%s", indent(string(a), "      "))
		}
	} else {
		pf("\nHub cluster secret\n  Secret %s/%s, made by the packages tree's %s; fleetup makes none of its own and puts the enable_<addon> switches on this one\n", p.HubSecret.Namespace, p.HubSecret.Name, p.HubSecret.MadeBy)
	}
	for _, w := range p.HubSecret.Warnings {
		pf("  warning: %s\n", w)
	}

	for _, m := range p.RepoSecrets {
		pf("  %s (Argo CD repository: OCI registry)\n", describe(m))
	}
	pf("\nCatalog handed to Argo CD (%s shape): it renders the ApplicationSets from Git\n", p.GitOps.Shape)
	pf("  from:        %s\n", p.GitOps.Source)
	pf("  values:      %s\n", strings.Join(p.GitOps.ValueFiles, ", "))
	for _, m := range p.GitOps.Objects {
		pf("  applies:     %s\n", describe(m))
	}
	pf("  waits on:    Application %s Synced and Healthy\n", p.GitOps.Application)
	if f := p.Fleet; f != nil {
		pf("\nFleet handed to Argo CD: it renders each workload cluster from Git\n")
		pf("  from:        %s\n", f.Source(p.Config))
		for _, m := range f.Objects {
			pf("  applies:     %s\n", describe(m))
		}
		pf("  clusters:    %s (`fleetup fleet render` shows each one)\n", orNoneList(f.Clusters))
		if f.Delivery != "" {
			pf("  addons:      each cluster's bundle in dependency order, through its stages Application (ApplicationSet %s)\n", f.Delivery)
		}
		for _, w := range f.Warnings {
			pf("  warning:     %s\n", w)
		}
	}
	pf("\nApplicationSets (rendered here from packages/%s for review; Argo CD applies them from Git)\n", AppSetChartDir)
	for _, m := range p.ApplicationSets {
		pf("  %s%s\n", describe(m), appSetRole(m))
	}
	if n := p.Gating.Note(); n != "" {
		pf("  warning: %s\n", n)
	}

	pf("\nUIs (the routes the repository's charts make for the hub; `fleetup urls` reads them from the cluster)\n")
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	for _, u := range p.UIs.UIs {
		url := u.URL
		if url == "" { // no domain: the Gateway's load balancer, known once made
			url = "http://<the Gateway's address>" + u.Path
		}
		fmt.Fprintf(tw, "  %s/%s\t%s\t%s\n", u.Namespace, u.Name, url, strings.Join(u.Backends, ", "))
	}
	tw.Flush()
	if len(p.UIs.UIs) == 0 {
		pf("  none\n")
	}
	for _, pr := range p.UIs.Problems {
		pf("  warning: %s\n", pr)
	}

	g := p.Graph
	pf("\nAddon graph (%d addons, %d levels)\n", len(g.Addons), len(g.Levels))
	for i, l := range g.Levels {
		pf("  level %d: %s\n", i, strings.Join(l, ", "))
	}
	tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  ADDON\tWAITS FOR\tNAMESPACE\tSOURCE\tTIMEOUT\n")
	for _, a := range g.Addons {
		waits := "-"
		if len(a.DependsOn) > 0 {
			waits = strings.Join(a.DependsOn, ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", a.Name, waits, a.Namespace, a.Source.String(), a.HealthTimeout)
	}
	tw.Flush()
	for _, s := range g.Skipped {
		pf("  not installed: %s (%s)\n", s.Name, s.Reason)
	}
	if len(g.CriticalPath) > 0 {
		pf("  longest chain: %s\n", strings.Join(g.CriticalPath, " -> "))
	}
	return ew.err
}

// WriteJSON prints the plan as one JSON document.
func (p *Plan) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("plan: encode: %w", err)
	}
	return nil
}

// WriteFiles writes every rendered manifest and the plan itself under dir:
// plan.json, secret-store/, releases/<release>-values.yaml, bootstrap/,
// cluster-secret.yaml, gitops/ (what hands the catalog to Argo CD) and
// applicationsets/.
func (p *Plan) WriteFiles(dir string) ([]string, error) {
	var written []string
	write := func(name string, v any) error {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("plan --out: %w", err)
		}
		var data []byte
		var err error
		if strings.HasSuffix(name, ".json") {
			data, err = json.MarshalIndent(v, "", "  ")
		} else {
			data, err = yaml.Marshal(v)
		}
		if err != nil {
			return fmt.Errorf("plan --out: %s: %w", name, err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return fmt.Errorf("plan --out: %w", err)
		}
		written = append(written, path)
		return nil
	}
	if err := write("plan.json", p); err != nil {
		return nil, err
	}
	for _, m := range p.Secrets.Store {
		if err := write(filepath.Join("secret-store", fileName(m)), m.Object); err != nil {
			return nil, err
		}
	}
	for _, r := range p.Releases {
		if err := write(filepath.Join("releases", r.Release+"-values.yaml"), r.Values); err != nil {
			return nil, err
		}
	}
	for _, m := range p.Bootstrap {
		if err := write(filepath.Join("bootstrap", fileName(m)), m.Object); err != nil {
			return nil, err
		}
	}
	if p.ClusterSecret.Object != nil {
		if err := write("cluster-secret.yaml", p.ClusterSecret.Object); err != nil {
			return nil, err
		}
	}
	for _, m := range p.RepoSecrets {
		if err := write(filepath.Join("repository-secrets", fileName(m)), m.Object); err != nil {
			return nil, err
		}
	}
	for _, m := range p.GitOps.Objects {
		if err := write(filepath.Join("gitops", fileName(m)), m.Object); err != nil {
			return nil, err
		}
	}
	if p.Fleet != nil {
		for _, m := range p.Fleet.Objects {
			if err := write(filepath.Join("fleet", fileName(m)), m.Object); err != nil {
				return nil, err
			}
		}
	}
	for _, m := range p.ApplicationSets {
		if err := write(filepath.Join("applicationsets", fileName(m)), m.Object); err != nil {
			return nil, err
		}
	}
	return written, nil
}

func fileName(m helm.Manifest) string {
	parts := []string{strings.ToLower(m.Kind)}
	if m.Namespace != "" {
		parts = append(parts, m.Namespace)
	}
	parts = append(parts, m.Name)
	return strings.Join(parts, "-") + ".yaml"
}

func describe(m helm.Manifest) string {
	return kube.Describe(&unstructured.Unstructured{Object: m.Object})
}

// StagesLabel marks the appset chart's ApplicationSet that gives each
// workload cluster its addons in dependency order.
const StagesLabel = "fleetup.dev/stages"

// StagesApp names a workload cluster's stages Application in the appset
// chart: <appsetPrefix>fleetup-stages-<cluster>.
const StagesApp = "fleetup-stages"

// appSetRole says what an ApplicationSet of the catalog is for, where its
// name does not.
func appSetRole(m helm.Manifest) string {
	u := &unstructured.Unstructured{Object: m.Object}
	if u.GetLabels()[StagesLabel] == "true" {
		return " (workload clusters: one stages Application each, their addons in dependency order)"
	}
	return ""
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n") + "\n"
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}
