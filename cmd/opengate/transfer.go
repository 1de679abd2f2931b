package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// transferUsage is the usage of the export and import commands.
const transferUsage = `usage:
  opengate export -realm NAME > realm.json
  opengate import FILE            (FILE "-": the standard input)

Export writes the whole realm as a Keycloak realm export: settings, clients
and their secrets, roles, groups, users with their password hashes and role
mappings. Keep the file as secret as the deployment key. Import creates the
realm such a file (or Keycloak's own export) describes and prints what it
left out. Both work on the configured stores: OPENGATE_POSTGRES_URL,
OPENGATE_DATABASE_PREFIX and OPENGATE_SECRET_KEY (as the server's); a
running server picks the change up through its outbox relay.
`

// transfer runs "opengate export" or "opengate import" (cmd) with args.
func transfer(ctx context.Context, cmd string, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("opengate "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, transferUsage) }
	var realm string
	if cmd == "export" {
		fs.StringVar(&realm, "realm", "", "the realm to export")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var file string
	switch {
	case cmd == "export" && (realm == "" || fs.NArg() != 0):
		return usageError("opengate export needs -realm NAME and nothing else")
	case cmd == "import" && fs.NArg() != 1:
		return usageError("opengate import needs one FILE (\"-\" for the standard input)")
	case cmd == "import":
		file = fs.Arg(0)
	}
	// The stores come from the environment, as the server's do.
	cfg, err := parseConfig(nil, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.PostgresURL == "" {
		return fmt.Errorf("opengate %s works on the stores of a deployment: set OPENGATE_POSTGRES_URL (in memory there is nothing to move)", cmd)
	}
	if cfg.SecretKey == nil {
		return errors.New("opengate " + cmd + ": OPENGATE_SECRET_KEY is required: the stores' secrets are sealed with it")
	}
	var raw []byte
	if cmd == "import" {
		if raw, err = readFile(file, stdin); err != nil {
			return err
		}
	}
	dbs, err := opengate.OpenDatabases(ctx, cfg.PostgresURL, cfg.DBPrefix)
	if err != nil {
		return fmt.Errorf("OPENGATE_POSTGRES_URL: %w", err)
	}
	defer dbs.Close()
	issuer := cfg.IssuerBase
	if issuer == "" {
		issuer = "http://localhost" // no token is issued
	}
	srv, err := opengate.New(ctx, opengate.Config{IssuerBase: issuer, Databases: dbs, SecretKey: cfg.SecretKey,
		PreviousSecretKey: cfg.PreviousSecretKey, Logger: cfg.Logging.Logger(stderr)})
	if errors.Is(err, opengate.ErrSecretKeyMismatch) {
		return fmt.Errorf("%s (%w)", boot.MismatchMessage, err)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	if cmd == "export" {
		name, err := iam.ParseRealm(realm)
		if err != nil {
			return fmt.Errorf("-realm: %s", iam.ErrorMessage(err))
		}
		out, err := srv.ExportRealm(ctx, name)
		if err != nil {
			return fmt.Errorf("export %s: %s", name, iam.ErrorMessage(err))
		}
		_, err = fmt.Fprintf(stdout, "%s\n", out)
		return err
	}
	report, err := srv.ImportRealm(ctx, raw)
	if err != nil {
		field := ""
		if f := iam.ErrorField(err); f != "" {
			field = " (" + f + ")"
		}
		return fmt.Errorf("import %s: %s%s", file, iam.ErrorMessage(err), field)
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}

// readFile reads an import's file, "-" being stdin, of at most
// iamhttp.MaxImportBytes.
func readFile(name string, stdin io.Reader) ([]byte, error) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	raw, err := io.ReadAll(io.LimitReader(r, iamhttp.MaxImportBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > iamhttp.MaxImportBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, iamhttp.MaxImportBytes)
	}
	return raw, nil
}

// usageError is a mistake in the command line: the usage is printed with
// it.
type usageError string

func (e usageError) Error() string { return string(e) + "\n" + transferUsage }
