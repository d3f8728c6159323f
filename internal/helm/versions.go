package helm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/fleetup/fleetup/internal/catalog"
	"helm.sh/helm/v4/pkg/getter"
	repo "helm.sh/helm/v4/pkg/repo/v1"
	"oras.land/oras-go/v2/registry/remote"
)

// ChartVersions lists every version of src's chart that its Helm
// repository (index.yaml) or OCI registry (tag list) offers, written as the
// repository writes them. It needs no cluster: Config may be nil.
func (r *Releaser) ChartVersions(ctx context.Context, src catalog.Source) ([]string, error) {
	switch src.Kind {
	case catalog.SourceHelmRepo:
		return r.indexVersions(ctx, src)
	case catalog.SourceOCI:
		return ociTags(ctx, src)
	default:
		return nil, fmt.Errorf("a %s source is not a chart repository", src.Kind)
	}
}

// indexVersions reads the repository's index.yaml with Helm's getters, as
// install's chart download does (same TLS, same cache directory).
func (r *Releaser) indexVersions(ctx context.Context, src catalog.Source) ([]string, error) {
	settings := r.settings()
	if err := os.MkdirAll(settings.RepositoryCache, 0o755); err != nil {
		return nil, err
	}
	// A name of its own per URL: Helm names the cached index after it, and
	// several repositories are read at once.
	sum := sha256.Sum256([]byte(src.URL))
	cr, err := repo.NewChartRepository(&repo.Entry{Name: "fleetup-" + hex.EncodeToString(sum[:8]), URL: src.URL}, getter.All(settings))
	if err != nil {
		return nil, fmt.Errorf("repository %s: %w", src.URL, err)
	}
	cr.CachePath = settings.RepositoryCache
	// Helm's getter takes no context; its own timeout ends it, and ctx
	// ends the wait.
	type result struct {
		idx *repo.IndexFile
		err error
	}
	done := make(chan result, 1)
	go func() {
		path, err := cr.DownloadIndexFile()
		if err != nil {
			done <- result{err: err}
			return
		}
		idx, err := repo.LoadIndexFile(path)
		done <- result{idx, err}
	}()
	var res result
	select {
	case <-ctx.Done():
		return nil, fmt.Errorf("index of %s: %w", src.URL, context.Cause(ctx))
	case res = <-done:
	}
	if res.err != nil {
		return nil, fmt.Errorf("index of %s: %w", src.URL, res.err)
	}
	entries, ok := res.idx.Entries[src.Chart]
	if !ok || len(entries) == 0 {
		return nil, fmt.Errorf("index of %s has no chart %q", src.URL, src.Chart)
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Metadata != nil {
			out = append(out, e.Version)
		}
	}
	return out, nil
}

// ociTags lists the chart repository's tags with fleetup's registry
// authorizer. Helm's own Tags drops tags with a leading "v" and takes no
// context, so the OCI distribution tag list is read here, turning "_" back
// into "+" as Helm does when it pushes a version with build metadata.
func ociTags(ctx context.Context, src catalog.Source) ([]string, error) {
	a, err := registryAuth()
	if err != nil {
		return nil, err
	}
	ref := strings.TrimPrefix(strings.TrimSuffix(src.URL, "/"), "oci://") + "/" + src.Chart
	rp, err := remote.NewRepository(ref)
	if err != nil {
		return nil, fmt.Errorf("registry reference %s: %w", ref, err)
	}
	rp.PlainHTTP, rp.Client = plainHTTP(src), &a
	var out []string
	err = rp.Tags(ctx, "", func(tags []string) error {
		for _, t := range tags {
			out = append(out, strings.ReplaceAll(t, "_", "+"))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tags of %s: %w", ref, err)
	}
	return out, nil
}
