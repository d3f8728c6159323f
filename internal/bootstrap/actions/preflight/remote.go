package preflight

import (
	"context"
	"fmt"

	"github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/storage/memory"
)

// lsRemote asks the repository for its references, as `git ls-remote`
// does, without a git binary.
func lsRemote(ctx context.Context, url string) error {
	r := git.NewRemote(memory.NewStorage(), &gitconfig.RemoteConfig{Name: "origin", URLs: []string{url}})
	refs, err := r.ListContext(ctx, &git.ListOptions{})
	if err != nil {
		return fmt.Errorf("not reachable: %w", err)
	}
	if len(refs) == 0 {
		return fmt.Errorf("has no branches")
	}
	return nil
}
