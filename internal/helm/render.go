// Package helm wraps the Helm v4 SDK for what fleetup needs: rendering local
// charts offline (plan, the AppSet chart) and, for install, releases.
package helm

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/kube"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
)

// Manifest is one rendered Kubernetes object.
type Manifest struct {
	Source     string         `json:"source"` // template file it came from
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Name       string         `json:"name"`
	Namespace  string         `json:"namespace,omitempty"`
	Object     map[string]any `json:"object"`
}

// LoadChart loads a chart directory.
func LoadChart(dir string) (*chartv2.Chart, error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	return ch, nil
}

// Render renders a chart directory with values merged over its defaults,
// as `helm template` would for a fresh install, without a cluster.
func Render(chartDir, release, namespace string, values map[string]any) ([]Manifest, error) {
	ch, err := LoadChart(chartDir)
	if err != nil {
		return nil, err
	}
	return RenderChart(ch, release, namespace, values)
}

// RenderChart renders a loaded chart.
func RenderChart(ch *chartv2.Chart, release, namespace string, values map[string]any) ([]Manifest, error) {
	opts := common.ReleaseOptions{Name: release, Namespace: namespace, Revision: 1, IsInstall: true}
	vals, err := util.ToRenderValues(ch, values, opts, common.DefaultCapabilities)
	if err != nil {
		return nil, fmt.Errorf("render %s: values: %w", ch.Name(), err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", ch.Name(), err)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []Manifest
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") || strings.HasSuffix(name, "NOTES.txt") {
			continue
		}
		docs, err := kube.DecodeFile(name, []byte(files[name]))
		if err != nil {
			return nil, fmt.Errorf("render %s: %w (in the rendered output)", ch.Name(), err)
		}
		for _, obj := range docs {
			m := FromObject(obj.Object)
			m.Source = name
			out = append(out, m)
		}
	}
	return out, nil
}

// FromObject fills a Manifest's identity fields from an object.
func FromObject(obj map[string]any) Manifest {
	m := Manifest{Object: obj}
	m.APIVersion, _ = obj["apiVersion"].(string)
	m.Kind, _ = obj["kind"].(string)
	if md, ok := obj["metadata"].(map[string]any); ok {
		m.Name, _ = md["name"].(string)
		m.Namespace, _ = md["namespace"].(string)
	}
	return m
}
