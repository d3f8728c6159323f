package addons

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/kube"
	"github.com/fluxcd/cli-utils/pkg/kstatus/status"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// maxExplained bounds how many resources a failure message lists.
const maxExplained = 5

// notCurrent lists an Application's resources that are not ready, read
// live and judged with kstatus: Argo CD 3 no longer stores per-resource
// health in the Application, and "Degraded" alone does not say what is
// wrong.
func notCurrent(ctx context.Context, c *kube.Client, app *unstructured.Unstructured) []string {
	if app == nil {
		return nil
	}
	res, _, _ := unstructured.NestedSlice(app.Object, "status", "resources")
	var out []string
	for _, r := range res {
		m, _ := r.(map[string]any)
		group, _ := m["group"].(string)
		version, _ := m["version"].(string)
		kind, _ := m["kind"].(string)
		name, _ := m["name"].(string)
		ns, _ := m["namespace"].(string)
		if kind == "" || name == "" || version == "" {
			continue
		}
		u := &unstructured.Unstructured{}
		apiVersion := version
		if group != "" {
			apiVersion = group + "/" + version
		}
		u.SetAPIVersion(apiVersion)
		u.SetKind(kind)
		u.SetName(name)
		u.SetNamespace(ns)
		live, err := c.Get(ctx, u)
		if err != nil || live == nil {
			if live == nil && err == nil {
				out = append(out, fmt.Sprintf("%s: missing", kube.Describe(u)))
			}
			continue
		}
		st, err := status.Compute(live)
		if err != nil || st.Status == status.CurrentStatus {
			continue
		}
		line := fmt.Sprintf("%s: %s", kube.Describe(live), st.Status)
		if st.Message != "" {
			line += ": " + st.Message
		}
		out = append(out, line)
	}
	sort.Strings(out)
	if len(out) > maxExplained {
		out = append(out[:maxExplained], fmt.Sprintf("and %d more", len(out)-maxExplained))
	}
	return out
}

// notReady is the detail a failure message gets from notCurrent.
func notReady(res []string) string {
	if len(res) == 0 {
		return ""
	}
	return "not ready: " + strings.Join(res, "; ")
}
