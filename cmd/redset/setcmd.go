package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/redset/redset/api"
	"github.com/redset/redset/server"
	"github.com/spf13/cobra"
)

func newSetCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "set", Short: "Work with one redundancy set: show, create, edit, delete, add and remove members"}
	cmd.AddCommand(newSetGetCmd(cf), newSetCreateCmd(cf), newSetEditCmd(cf), newSetDeleteCmd(cf),
		newSetAddMemberCmd(cf), newSetRemoveMemberCmd(cf))
	return cmd
}

// setArgHelp is said once for every command that names a set.
const setArgHelp = `A set is named by its InstanceID (redset:demo-web) or, when no other set
shares it, by its LocalID (demo-web).`

func newSetGetCmd(cf *clientFlags) *cobra.Command {
	return setCmd(cf, &cobra.Command{
		Use:   "get ID",
		Short: "Show a set: every property, its policy, its flap guard, its frontend and its members",
		Long: "Show a set: every property, its policy, its flap guard, its frontend and its members. Where the\n" +
			"server runs the set's frontend, it also shows where the frontend listens (or why it does not),\n" +
			"its open and refused connections and, per member, the open and total connections and failed\n" +
			"dials.\n\n" + setArgHelp,
		Example: "  redset set get redset:demo-web\n  redset set get demo-web -o json",
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, id string) error {
		s, err := c.GetSet(ctx, id)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), s, func(tw *tabwriter.Writer) { printSet(tw, s) })
	})
}

func printSet(tw *tabwriter.Writer, s api.Set) {
	rows := [][2]string{
		{"InstanceID", s.InstanceID}, {"ElementName", s.ElementName}, {"Caption", s.Caption}, {"Description", s.Description},
		{"RedundancyStatus", statusWords(s.RedundancyStatus)}, {"TypeOfSet", typeWords(s.TypeOfSet)},
		{"MinNumberNeeded", fmt.Sprint(s.MinNumberNeeded)}, {"MaxNumberSupported", fmt.Sprint(s.MaxNumberSupported)},
		{"LoadBalanceAlgorithm", codeWords(s.LoadBalanceAlgorithm, lbNames)}, {"VendorIdentifyingInfo", s.VendorIdentifyingInfo},
	}
	if s.OtherLoadBalanceAlgorithm != "" {
		rows = append(rows, [2]string{"OtherLoadBalanceAlgorithm", s.OtherLoadBalanceAlgorithm})
	}
	rows = append(rows, [2]string{"Policy", policyWords(s.Policy)}, [2]string{"FlapGuard", flapGuardWords(s)},
		[2]string{"AutomaticFailover", automaticWords(s)}, [2]string{"Frontend", frontendWords(s.Frontend)})
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	printFrontendStatus(tw, s.FrontendStatus)
	st := s.FrontendStatus
	head := "\nMEMBER\tROLE\tHEALTH\tSPARE STATUS\tFAILOVER\tPRIORITY"
	if st != nil {
		head += "\tOPEN\tTOTAL\tDIAL ERRORS"
	}
	fmt.Fprintln(tw, head)
	for _, m := range s.Members {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d", m.Name, m.Role, m.Health.State,
			codeWords(m.SpareStatus, spareNames), codeWords(m.FailoverSupported, failoverNames), m.Priority)
		if st != nil {
			fmt.Fprint(tw, trafficColumns(st, m.Name))
		}
		fmt.Fprintln(tw)
	}
}

// policyWords says how the set acts by itself.
func policyWords(p api.Policy) string {
	var out []string
	if p.DisableAutoFailover {
		out = append(out, "automatic failover off")
	} else {
		out = append(out, "automatic failover on")
	}
	if p.AutoReturn {
		out = append(out, "drained members return when healthy")
	}
	if p.Failback {
		out = append(out, "failback to preferred spares")
	}
	return strings.Join(out, ", ")
}

// flapGuardWords says whether the flap guard let automatic failovers
// through, and its limit.
func flapGuardWords(s api.Set) string {
	period := time.Duration(s.Policy.PeriodSeconds * float64(time.Second))
	limit := fmt.Sprintf("at most %d automatic failovers per %s", s.Policy.MaxFailovers, shortDuration(period))
	switch {
	case s.FlapGuardTripped:
		return "TRIPPED: automatic failover stopped (" + limit + "); redset flap-guard reset " + s.InstanceID
	case !sparing(s.TypeOfSet):
		return "- (no automatic failover in this type of set)"
	case s.Policy.DisableAutoFailover:
		return "- (automatic failover off)"
	}
	return "armed: " + limit
}

// sparing reports whether a set fails over automatically: Sparing or
// Limited Sparing.
func sparing(types []uint16) bool {
	for _, t := range types {
		if t == 4 || t == 5 {
			return true
		}
	}
	return false
}

func newSetCreateCmd(cf *clientFlags) *cobra.Command {
	f := &setFlags{}
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "create [ID] [flags] | create -f FILE",
		Short: "Create a set from flags, or from entries written as in the configuration file",
		Long: `create makes a set (admin). Either give its ID and properties as flags, or give
-f FILE (- for standard input) holding set entries with the field names of the
configuration file's sets: list — one entry, a list of them, or a document with
sets:. Members named under a set are added with their roles; they must exist
already (redset member add).

An ID without a colon is a LocalID: the server puts its OrgID before it.`,
		Example: `  redset set create cache --type n+1 --min 2 --member db-1 --member db-2
  redset set create redset:web2 --type sparing --min 1 --member web-a:inService --member web-b:spare
  redset set create pg --type sparing --min 1 --frontend-listen 127.0.0.1:15432 --frontend-drain 30s
  redset set create -f set.yaml
  printf 'id: cache2\ntypeOfSet: [2]\nminNumberNeeded: 1\n' | redset set create -f -`,
		Args: cobra.MaximumNArgs(1),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		entries, err := f.entries(cmd, args)
		if err != nil {
			return err
		}
		var made []api.Set
		for _, e := range entries {
			s, err := createEntry(ctx, c, e)
			if err != nil {
				return err
			}
			made = append(made, s)
		}
		return cf.render(cmd.OutOrStdout(), made, func(tw *tabwriter.Writer) {
			for i, s := range made {
				if i > 0 {
					fmt.Fprintln(tw)
				}
				printSet(tw, s)
			}
		})
	})
	cmd.Flags().StringVarP(&f.file, "file", "f", "", "read set entries (configuration file syntax) from FILE, - for standard input")
	cmd.Flags().StringArrayVar(&f.members, "member", nil, "add a member: NAME or NAME:ROLE with ROLE inService (default), spare or drained (repeatable)")
	f.register(cmd)
	return cmd
}

// createEntry creates one set and gives its members their roles.
func createEntry(ctx context.Context, c *api.Client, e server.SetEntry) (api.Set, error) {
	s, err := c.CreateSet(ctx, api.SetSpecOf(e.Set))
	if err != nil {
		return s, fmt.Errorf("creating set %s: %w", e.Set.InstanceID, err)
	}
	for _, m := range e.Members {
		if s, err = c.PutSetMember(ctx, s.InstanceID, m.Name, api.RoleSpecOf(m.Role)); err != nil {
			return s, fmt.Errorf("set %s was created, but adding member %s failed: %w", s.InstanceID, m.Name, err)
		}
	}
	return s, nil
}

func newSetEditCmd(cf *clientFlags) *cobra.Command {
	f := &setFlags{}
	var patchText, patchFile string
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "edit ID [flags] | edit ID --patch JSON | edit ID --patch-file FILE",
		Short: "Change a set's properties and policy",
		Long: `edit changes the properties named by flags and leaves the others as they are,
or applies a JSON merge patch (RFC 7396) written with the API's field names.
Changing only the load-balancing algorithm needs an operator; anything else an
admin. The --frontend-* flags change the fields of the set's frontend they name
(a set without one gets one: give --frontend-listen); --no-frontend removes it.

` + setArgHelp,
		Example: `  redset set edit demo-web --caption "web tier" --max-failovers 5 --period 30m
  redset set edit demo-lb --lb least-io
  redset set edit pg --frontend-drain 0s --frontend-proxy-protocol v2
  redset set edit pg --no-frontend
  redset set edit demo-db --patch '{"description": "orders database", "policy": {"autoReturn": true}}'`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeArgs(cf, argSet),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		patch, err := f.editPatch(cmd, patchText, patchFile)
		if err != nil {
			return err
		}
		id, err := resolveSet(ctx, c, args[0])
		if err != nil {
			return err
		}
		s, err := c.PatchSet(ctx, id, patch)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), s, func(tw *tabwriter.Writer) { printSet(tw, s) })
	})
	cmd.Flags().StringVar(&patchText, "patch", "", "a JSON merge patch of the set (API field names)")
	cmd.Flags().StringVar(&patchFile, "patch-file", "", "read the JSON merge patch from FILE, - for standard input")
	f.register(cmd)
	return cmd
}

// editPatch is the merge patch of the flags, or the one given as text.
func (f *setFlags) editPatch(cmd *cobra.Command, text, file string) (map[string]any, error) {
	fromFlags, err := f.patch(cmd)
	if err != nil {
		return nil, err
	}
	given := 0
	for _, ok := range []bool{len(fromFlags) > 0, text != "", file != ""} {
		if ok {
			given++
		}
	}
	switch {
	case given == 0:
		return nil, errors.New("nothing to change: give property flags, --patch or --patch-file")
	case given > 1:
		return nil, errors.New("give property flags, --patch or --patch-file, one of them")
	case len(fromFlags) > 0:
		return fromFlags, nil
	}
	data := []byte(text)
	if file != "" {
		if data, err = readInput(cmd, file); err != nil {
			return nil, err
		}
	}
	return parsePatch(data)
}

// parsePatch reads a JSON object, keeping numbers exact.
func parsePatch(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var patch map[string]any
	if err := dec.Decode(&patch); err != nil || patch == nil {
		return nil, fmt.Errorf("the patch must be a JSON object: %v", err)
	}
	return patch, nil
}

// inputName names an input in messages.
func inputName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// maxInput caps what readInput takes from standard input.
const maxInput = 1 << 20

// readInput reads a file, or standard input for "-".
func readInput(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(cmd.InOrStdin(), maxInput))
	}
	return os.ReadFile(name)
}

func newSetDeleteCmd(cf *clientFlags) *cobra.Command {
	return setCmd(cf, &cobra.Command{
		Use:     "delete ID",
		Short:   "Delete a set; its members stay",
		Long:    "Delete a set (admin); its members stay, for other sets or to be removed.\n\n" + setArgHelp,
		Example: "  redset set delete redset:cache",
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, id string) error {
		if err := c.DeleteSet(ctx, id); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "deleted set %s\n", id)
		return nil
	})
}

func newSetAddMemberCmd(cf *clientFlags) *cobra.Command {
	var rf roleFlags
	cmd := clientCmd(cf, &cobra.Command{
		Use:   "add-member ID MEMBER --role ROLE",
		Short: "Give a member a role in a set: inService, spare or drained",
		Long: `add-member puts an existing member into a set with a role (admin). Spares take
--spare-status (hot, cold), --failover (automatic, manual, both) and --priority
(higher is preferred); left out, they are hot, both and 0.

` + setArgHelp,
		Example:           "  redset set add-member demo-web web-c --role spare --spare-status cold --priority 5",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeArgs(cf, argSet, argMember),
	}, func(ctx context.Context, c *api.Client, cmd *cobra.Command, args []string) error {
		role, err := rf.spec()
		if err != nil {
			return err
		}
		id, err := resolveSet(ctx, c, args[0])
		if err != nil {
			return err
		}
		s, err := c.PutSetMember(ctx, id, args[1], role)
		if err != nil {
			return err
		}
		return cf.render(cmd.OutOrStdout(), s, func(tw *tabwriter.Writer) { printSet(tw, s) })
	})
	rf.register(cmd)
	return cmd
}

func newSetRemoveMemberCmd(cf *clientFlags) *cobra.Command {
	return clientCmd(cf, &cobra.Command{
		Use:               "remove-member ID MEMBER",
		Short:             "Take a member out of a set (the member itself stays)",
		Long:              "Take a member out of a set, whatever its role (admin). The member stays.\n\n" + setArgHelp,
		Example:           "  redset set remove-member demo-lb lb-4",
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeArgs(cf, argSet, argMember),
	}, onSetMember(cf, (*api.Client).RemoveSetMember))
}

// roleFlags are a member's role in a set.
type roleFlags struct {
	role, spareStatus, failover string
	priority                    int
}

func (rf *roleFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&rf.role, "role", "inService", "inService, spare or drained")
	fl.StringVar(&rf.spareStatus, "spare-status", "", "a spare's standby: hot or cold (default hot)")
	fl.StringVar(&rf.failover, "failover", "", "how a spare may be failed over to: automatic, manual or both (default both)")
	fl.IntVar(&rf.priority, "priority", 0, "a spare's priority; higher is preferred")
}

func (rf *roleFlags) spec() (api.RoleSpec, error) {
	role, err := roleName(rf.role)
	if err != nil {
		return api.RoleSpec{}, err
	}
	out := api.RoleSpec{Role: role, Priority: rf.priority}
	if out.SpareStatus, err = codeOf("--spare-status", rf.spareStatus, spareCodes); err != nil {
		return out, err
	}
	out.FailoverSupported, err = codeOf("--failover", rf.failover, failoverCodes)
	return out, err
}

var (
	spareCodes    = map[string]uint16{"hot": 2, "cold": 3}
	failoverCodes = map[string]uint16{"automatic": 2, "manual": 3, "both": 4}
	typeCodes     = map[string]uint16{"unknown": 0, "other": 1, "n+1": 2, "load-balanced": 3, "sparing": 4, "limited-sparing": 5}
	lbCodes       = map[string]uint16{"unknown": 0, "other": 1, "none": 2, "round-robin": 3, "least-blocks": 4,
		"least-io": 5, "address-region": 6, "product-specific": 7}
)

// roleName reads a role as the API names it.
func roleName(s string) (string, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "-", "")) {
	case "inservice", "":
		return api.RoleInService, nil
	case "spare":
		return api.RoleSpare, nil
	case "drained":
		return api.RoleDrained, nil
	}
	return "", fmt.Errorf("role %q: use inService, spare or drained", s)
}

// codeOf reads a CIM value given by name or number; empty is 0.
func codeOf(flag, s string, names map[string]uint16) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	if n, ok := names[strings.ToLower(s)]; ok {
		return n, nil
	}
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n), nil
	}
	return 0, fmt.Errorf("%s %q: use a number or one of %s", flag, s, sortedNames(names))
}

// shortDuration writes 1h for 1h0m0s and 30m for 30m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
