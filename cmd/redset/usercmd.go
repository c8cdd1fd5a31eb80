package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

const passwordHelp = `The password is asked for at the terminal, without echo, twice; when standard
input is not a terminal, its first line is the password. It is never taken
from the command line, where other users could see it.`

func newUserCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users: add, change passwords, delete, list (admin)"}
	cmd.AddCommand(newUserListCmd(cf), newUserAddCmd(cf), newUserPasswdCmd(cf), newUserDelCmd(cf))
	return cmd
}

func newUserListCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:     "list",
		Short:   "List users with their roles and where they come from",
		Example: "  redset user list",
		Args:    cobra.NoArgs,
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, _ []string) error {
		users, err := c.ListUsers(ctx)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), users, func(tw *tabwriter.Writer) {
			fmt.Fprintln(tw, "NAME\tROLE\tSOURCE")
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, u.Role, u.Source)
			}
		})
	})
}

func newUserAddCmd(cf *clientFlags) *cobra.Command {
	var role string
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "add NAME --role ROLE",
		Short: "Add a user with a role: reader, operator or admin",
		Long: `add creates a user (admin) whose password is kept hashed (bcrypt) by the server.
Readers read; operators also fail over, drain and return members and report
health; admins also change configuration and manage users.

` + passwordHelp,
		Example: "  redset user add ops --role operator\n  echo \"$OPS_PASSWORD\" | redset user add ops --role operator",
		Args:    cobra.ExactArgs(1),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		password, err := readPassword(ctx, cmd, "Password for "+args[0])
		if err != nil {
			return err
		}
		u, err := c.CreateUser(ctx, args[0], role, password)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), u, func(tw *tabwriter.Writer) {
			fmt.Fprintf(tw, "added user %s (%s)\n", u.Name, u.Role)
		})
	})
	cmd.Flags().StringVar(&role, "role", "", "reader, operator or admin (required)")
	_ = cmd.MarkFlagRequired("role")
	_ = cmd.RegisterFlagCompletionFunc("role", cobra.FixedCompletions([]string{"reader", "operator", "admin"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newUserPasswdCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:   "passwd NAME",
		Short: "Change a user's password",
		Long: `passwd replaces a user's password (admin). Users declared in the configuration
file keep theirs: change their passwordHash there.

` + passwordHelp,
		Example:           "  redset user passwd ops",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(cf, argUser),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		password, err := readPassword(ctx, cmd, "New password for "+args[0])
		if err != nil {
			return err
		}
		if err := c.SetUserPassword(ctx, args[0], password); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "changed the password of %s\n", args[0])
		return nil
	})
}

func newUserDelCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:               "del NAME",
		Aliases:           []string{"delete"},
		Short:             "Delete a user",
		Long:              "Delete a user (admin). Users of the configuration file stay, and the last administrator cannot be deleted.",
		Example:           "  redset user del ops",
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(cf, argUser),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		if err := c.DeleteUser(ctx, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "deleted user %s\n", args[0])
		return nil
	})
}

// readPassword reads a new password: at a terminal without echo, twice;
// otherwise the first line of standard input.
func readPassword(ctx context.Context, cmd *cobra.Command, prompt string) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && isTerminal(f) {
		return promptTwice(ctx, f, cmd.ErrOrStderr(), prompt)
	}
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return "", errors.New("no password on standard input (give it as its first line, or run at a terminal)")
	}
	return password, nil
}

func promptTwice(ctx context.Context, tty *os.File, w io.Writer, prompt string) (string, error) {
	fmt.Fprint(w, prompt+": ")
	first, err := readHidden(ctx, tty)
	fmt.Fprintln(w)
	if err != nil {
		return "", err
	}
	fmt.Fprint(w, "Again: ")
	second, err := readHidden(ctx, tty)
	fmt.Fprintln(w)
	switch {
	case err != nil:
		return "", err
	case first != second:
		return "", errors.New("the two passwords differ; nothing changed")
	case first == "":
		return "", errors.New("the password is empty; nothing changed")
	}
	return first, nil
}
