package gitrepo

import (
	"fmt"
	"os"
	"time"

	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// The author of commits when neither the environment nor any Git config
// names one: git itself would refuse to commit, but a CI job that only
// runs fleetup should not need a config file for that.
const (
	DefaultAuthorName  = "fleetup"
	DefaultAuthorEmail = "fleetup@localhost"
)

// signatures resolves the author and committer as git does: the
// GIT_AUTHOR_* and GIT_COMMITTER_* variables, then the repository's,
// the user's and the system's Git config (author.*, committer.*, then
// user.*), then fleetup's default; defaulted says the default was used.
func (w *Writer) signatures(now time.Time) (author, committer object.Signature, defaulted bool, err error) {
	cfg, err := w.repo.ConfigScoped(config.SystemScope)
	if err != nil {
		return author, committer, false, fmt.Errorf("read the Git config: %w", err)
	}
	name := first(os.Getenv("GIT_AUTHOR_NAME"), cfg.Author.Name, cfg.User.Name)
	email := first(os.Getenv("GIT_AUTHOR_EMAIL"), cfg.Author.Email, cfg.User.Email)
	if name == "" || email == "" {
		defaulted = true
		name, email = first(name, DefaultAuthorName), first(email, DefaultAuthorEmail)
	}
	author = object.Signature{Name: name, Email: email, When: now}
	committer = object.Signature{
		Name:  first(os.Getenv("GIT_COMMITTER_NAME"), cfg.Committer.Name, cfg.User.Name, name),
		Email: first(os.Getenv("GIT_COMMITTER_EMAIL"), cfg.Committer.Email, cfg.User.Email, email),
		When:  now,
	}
	return author, committer, defaulted, nil
}

func first(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
