package envtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"

	"github.com/fleetup/fleetup/internal/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// CRDSource is a Go module's directories of CRD manifests, at the version
// versions.env pins under VersionKey.
type CRDSource struct {
	Module     string
	VersionKey string
	Dirs       []string
}

// ClusterAPICRDs are the CRDs the fleet chart's objects are made of:
// Cluster API's core, kubeadm bootstrap and control plane, its docker
// provider (the in-memory backend's DevCluster and DevMachine), and the AWS
// provider (CAPA).
func ClusterAPICRDs() []CRDSource {
	return []CRDSource{
		{Module: "sigs.k8s.io/cluster-api", VersionKey: "CLUSTER_API_VERSION", Dirs: []string{
			"core/config/crd/bases", "bootstrap/kubeadm/config/crd/bases", "controlplane/kubeadm/config/crd/bases"}},
		{Module: "sigs.k8s.io/cluster-api/test", VersionKey: "CLUSTER_API_VERSION", Dirs: []string{
			"infrastructure/docker/config/crd/bases"}},
		{Module: "sigs.k8s.io/cluster-api-provider-aws/v2", VersionKey: "CAPA_VERSION", Dirs: []string{
			"config/crd/bases"}},
	}
}

// ModuleDir is where module@version is in the Go module cache, fetched
// through the module proxy first when it is not there
// (`go mod download -json`).
func ModuleDir(ctx context.Context, module, version string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module+"@"+version)
	// Outside any module, so the repository's go.mod neither limits nor
	// records the download.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil || info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s@%s: %v %s %s", module, version, runErr, info.Error, stderr.String())
	}
	return info.Dir, nil
}

// LoadCRDs reads the CRDs of sources, each without its conversion webhook:
// no provider's webhook server runs here, and with none the API server
// serves every version as stored.
func LoadCRDs(ctx context.Context, sources ...CRDSource) ([]*unstructured.Unstructured, error) {
	out, err := moduleCRDs(ctx, sources...)
	if err != nil {
		return nil, err
	}
	for _, o := range out {
		unstructured.RemoveNestedField(o.Object, "spec", "conversion")
	}
	return out, nil
}

// moduleCRDs reads the CRDs of sources as the modules ship them.
func moduleCRDs(ctx context.Context, sources ...CRDSource) ([]*unstructured.Unstructured, error) {
	versions := parseVersions()
	var out []*unstructured.Unstructured
	for _, s := range sources {
		version := versions[s.VersionKey]
		if version == "" {
			return nil, fmt.Errorf("versions.env has no %s (the version of %s)", s.VersionKey, s.Module)
		}
		dir, err := ModuleDir(ctx, s.Module, version)
		if err != nil {
			return nil, err
		}
		for _, d := range s.Dirs {
			objs, err := dirCRDs(filepath.Join(dir, filepath.FromSlash(d)))
			if err != nil {
				return nil, fmt.Errorf("%s@%s: %w", s.Module, version, err)
			}
			out = append(out, objs...)
		}
	}
	return out, nil
}

// dirCRDs reads the CRDs of the YAML files in dir, in file name order.
func dirCRDs(dir string) ([]*unstructured.Unstructured, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no CRDs in %s", dir)
	}
	sort.Strings(files)
	var out []*unstructured.Unstructured
	for _, f := range files {
		objs, err := readCRDs(f)
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	return out, nil
}

func readCRDs(file string) ([]*unstructured.Unstructured, error) {
	return readKinds(file, "CustomResourceDefinition") // not kustomization files and the like
}

// readKinds reads the objects of file that are of one of kinds.
func readKinds(file string, kinds ...string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	objs, err := kube.DecodeYAML(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if slices.Contains(kinds, o.GetKind()) {
			out = append(out, o)
		}
	}
	return out, nil
}

// InstallCRDs applies the CRDs of sources and waits until they are
// Established. Applying them again changes nothing, so tests that need
// them may each call it.
func (e *Env) InstallCRDs(ctx context.Context, sources ...CRDSource) error {
	crds, err := LoadCRDs(ctx, sources...)
	if err != nil {
		return err
	}
	if err := e.Client.ApplyAll(ctx, crds); err != nil {
		return fmt.Errorf("install CRDs: %w", err)
	}
	return nil
}

// DryRunApply server-side applies obj without storing it, refusing fields
// the object's schema does not declare (strict field validation): an
// object's check against the real CRDs.
func (e *Env) DryRunApply(ctx context.Context, obj map[string]any) error {
	u := &unstructured.Unstructured{Object: obj}
	ri, _, err := e.Client.Resource(u.DeepCopy())
	if err != nil {
		return err
	}
	data, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	force := true
	_, err = ri.Patch(ctx, u.GetName(), types.ApplyPatchType, data, metav1.PatchOptions{
		FieldManager: "fleetup-test", Force: &force, DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict",
	})
	return err
}
