package secrets

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fleetup/fleetup/internal/config"
	"github.com/fleetup/fleetup/internal/decode"
	"github.com/fleetup/fleetup/internal/redact"
)

// PrivateDir is where CNOE keeps its credential files, next to config.yaml.
const PrivateDir = "private"

// addPrivate adds every private/*.yaml not listed in config.yaml to creds,
// keyed by file name without .yaml and holding whatever keys the file has,
// as CNOE's create-config-secrets.sh stores them under <prefix>/github-app.
// listed are the resolved paths config.yaml names already.
func addPrivate(cfg *config.Config, listed map[string]bool, red *redact.Redactor, creds map[string]any) error {
	dir := cfg.Resolve(PrivateDir)
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("secrets: read %s: %w", PrivateDir, err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(dir, n)
		if listed[path] {
			continue
		}
		file := filepath.Join(PrivateDir, n)
		key := strings.TrimSuffix(n, ".yaml")
		if _, taken := creds[key]; taken {
			return &decode.Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("credential name %s is already taken by an entry of config.yaml's secrets section", key), Expected: "one credential per name in <prefix>/github-app", Hint: "list this file in config.yaml instead, or rename it"}
		}
		// As for the files config.yaml lists: credentials others can read
		// are refused, not uploaded.
		if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o004 != 0 {
			return &decode.Error{File: file, Line: 1, Column: 1, Msg: fmt.Sprintf("credential file is readable by every user (mode %04o)", info.Mode().Perm()), Expected: "a file only its owner (and group) can read", Hint: "run: chmod 600 " + file}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("secrets: read credential file: %w", err)
		}
		root, err := decode.Parse(file, data)
		if err != nil {
			return err
		}
		res := &decode.Result{File: file}
		v := decode.Generic(res, "", root)
		if len(res.Errors) > 0 {
			return res.Errors
		}
		m, ok := v.(map[string]any)
		if !ok {
			return &decode.Error{File: file, Line: root.Line, Column: root.Column, Msg: "credential file is not a mapping", Expected: "keys and values, such as url, appId, installationId, privateKey", Hint: "files in " + PrivateDir + "/ are stored as they are under <prefix>/github-app; move other files out"}
		}
		// Every value is a credential: the redactor learns all of them.
		for _, val := range Flatten(m) {
			red.Add(val)
		}
		creds[key] = m
	}
	return nil
}
