package config

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fleetup/fleetup/internal/decode"
)

// Override changes the config after decoding and before defaults, like a
// command-line flag (--target).
type Override func(*Config)

// WithTarget overrides target (--target). The secrets backend and store
// name then take that target's defaults: running a config against kind
// uses the kubernetes backend even when the file says
// aws-secretsmanager for its EKS target.
func WithTarget(t Target) Override {
	return func(c *Config) {
		if c.Target == t {
			return
		}
		c.Target = t
		c.Secrets.Backend, c.Secrets.StoreName = "", ""
	}
}

// WithStrategy overrides strategy (install --strategy).
func WithStrategy(st Strategy) Override {
	return func(c *Config) { c.Strategy = st }
}

// Load reads, decodes, defaults and validates a config file. Every problem
// is returned at once as decode.Errors; nothing else is touched.
func Load(path string, overrides ...Override) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, filepath.Dir(abs), data, overrides...)
}

// Parse decodes config data read from file; dir resolves relative paths.
func Parse(file, dir string, data []byte, overrides ...Override) (*Config, error) {
	root, err := decode.Parse(file, data)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	res := &decode.Result{File: file}
	decode.Into(res, "", root, cfg)
	if len(res.Errors) > 0 {
		return nil, res.Errors
	}
	cfg.Dir, cfg.File, cfg.Positions = dir, file, res.Positions
	for _, o := range overrides {
		o(cfg)
	}
	cfg.applyDefaults()
	validate(cfg, res)
	if len(res.Errors) > 0 {
		return nil, res.Errors
	}
	return cfg, nil
}

func (c *Config) applyDefaults() {
	if c.Repo.Revision == "" {
		c.Repo.Revision = "HEAD"
	}
	if c.Repo.BasePath == "" {
		c.Repo.BasePath = "packages"
	}
	if c.Target == "" {
		c.Target = TargetEKS
	}
	if c.Strategy == "" {
		c.Strategy = StrategyGated
	}
	s := &c.Secrets
	if s.Backend == "" {
		s.Backend = BackendKubernetes
		if c.Target == TargetEKS {
			s.Backend = BackendAWS
		}
	}
	if s.Prefix == "" {
		s.Prefix = "cnoe-ref-impl"
	}
	if s.Namespace == "" {
		s.Namespace = "fleetup-secrets"
	}
	if s.StoreName == "" {
		s.StoreName = "fleetup-kubernetes"
		if s.Backend == BackendAWS {
			s.StoreName = "aws-secretsmanager" // the name CNOE's manifests reference
		}
	}
	t := &c.Timeouts
	setDefault(&t.Install, 45*time.Minute)
	setDefault(&t.Addon, 15*time.Minute)
	setDefault(&t.Helm, 10*time.Minute)
	setDefault(&t.DegradedGrace, 2*time.Minute)
	setDefault(&t.Uninstall, 30*time.Minute)
}

func setDefault(d *decode.Duration, v time.Duration) {
	if *d == 0 {
		*d = decode.Duration(v)
	}
}

// PackagesDir is the local packages tree: <dir of config.yaml>/<repo.basepath>.
func (c *Config) PackagesDir() string { return filepath.Join(c.Dir, c.Repo.BasePath) }

// Resolve makes a path from config.yaml absolute.
func (c *Config) Resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// Pos returns where a field was written, for errors found after loading.
func (c *Config) Pos(path string) decode.Pos {
	r := decode.Result{Positions: c.Positions}
	e := r.At(path, &decode.ValueError{})
	return decode.Pos{Line: e.Line, Column: e.Column}
}

// ErrorAt builds a positioned error about a config field.
func (c *Config) ErrorAt(path string, v *decode.ValueError) *decode.Error {
	r := decode.Result{File: c.File, Positions: c.Positions}
	return r.At(path, v)
}
