package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/redset/redset/api"
	"github.com/spf13/cobra"
)

// localID is the part of an InstanceID after its first colon.
func localID(instanceID string) string {
	_, local, found := strings.Cut(instanceID, ":")
	if !found {
		return instanceID
	}
	return local
}

// resolveSet turns what the user typed into a set's InstanceID: an
// InstanceID as it is, or a LocalID ("demo-web" for "redset:demo-web")
// when exactly one set has it. A LocalID of several sets is an error that
// lists them; a name no set has is passed on for the server to refuse.
func resolveSet(ctx context.Context, c *api.Client, name string) (string, error) {
	sets, err := c.ListSets(ctx)
	if err != nil {
		return "", err
	}
	return pickSet(sets, name)
}

func pickSet(sets []api.Set, name string) (string, error) {
	var matches []string
	for _, s := range sets {
		if s.InstanceID == name {
			return name, nil
		}
		if localID(s.InstanceID) == name {
			matches = append(matches, s.InstanceID)
		}
	}
	switch len(matches) {
	case 0:
		return name, nil
	case 1:
		return matches[0], nil
	}
	slices.Sort(matches)
	return "", fmt.Errorf("set %q is ambiguous: it is the LocalID of %s; name one by its InstanceID", name, strings.Join(matches, ", "))
}

// completion kinds of a positional argument.
const (
	argSet    = "set"
	argMember = "member"
	argUser   = "user"
)

// completeArgs completes the positional arguments of a command from the
// server: kinds[i] says what argument i is. A member after a set is
// completed from that set's members.
func completeArgs(cf *clientFlags, kinds ...string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) >= len(kinds) {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		c, err := cf.client()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		var setArg string
		if len(args) > 0 && kinds[0] == argSet {
			setArg = args[0]
		}
		names, err := candidates(cmd.Context(), c, kinds[len(args)], setArg)
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// candidates lists the names of one kind.
func candidates(ctx context.Context, c *api.Client, kind, set string) ([]string, error) {
	switch kind {
	case argSet:
		sets, err := c.ListSets(ctx)
		return setNames(sets), err
	case argMember:
		return memberNames(ctx, c, set)
	case argUser:
		users, err := c.ListUsers(ctx)
		var out []string
		for _, u := range users {
			out = append(out, u.Name)
		}
		return out, err
	}
	return nil, nil
}

// setNames gives every InstanceID and each LocalID that names one set.
func setNames(sets []api.Set) []string {
	count := map[string]int{}
	for _, s := range sets {
		count[localID(s.InstanceID)]++
	}
	var out []string
	for _, s := range sets {
		out = append(out, s.InstanceID)
		if l := localID(s.InstanceID); count[l] == 1 && l != s.InstanceID {
			out = append(out, l)
		}
	}
	return out
}

// memberNames lists the members of set, or every member when set is empty.
func memberNames(ctx context.Context, c *api.Client, set string) ([]string, error) {
	var out []string
	if set == "" {
		ms, err := c.ListMembers(ctx)
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out, err
	}
	id, err := resolveSet(ctx, c, set)
	if err != nil {
		return nil, err
	}
	s, err := c.GetSet(ctx, id)
	for _, m := range s.Members {
		out = append(out, m.Name)
	}
	return out, err
}
