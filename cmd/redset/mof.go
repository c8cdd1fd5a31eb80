package main

import (
	"github.com/redset/redset/mof"
	"github.com/redset/redset/schema"
	"github.com/spf13/cobra"
)

func newMOFCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mof",
		Short: "Compile MOF files and show redset's CIM schema (offline)",
	}
	cmd.AddCommand(newMOFCheckCmd(), newMOFShowCmd())
	return cmd
}

func newMOFCheckCmd() *cobra.Command {
	var bare bool
	var ns string
	cmd := &cobra.Command{
		Use:   "check FILE...",
		Short: "Compile MOF files and print diagnostics as file:line:col: message",
		Long: `check compiles the files (and what they #pragma include) and prints every problem
as file:line:col: message. It exits 1 when there is any.

By default redset's own qualifier declarations and classes are loaded first, so a
file may use the standard qualifiers and subclass CIM_ManagedElement or
Msvm_RedundancySet. With --bare nothing is loaded first: the files must declare
every qualifier and class they use (as the DMTF schema does).`,
		Example: `  redset mof check my-classes.mof
  redset mof check --bare cim_schema_2.49.0.mof`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			preload := func(s mof.Sink) error { return mof.LoadNamespaces(s, schema.FS, schema.Namespaces) }
			if bare {
				preload = nil
			}
			err := mof.CheckFiles(cmd.OutOrStdout(), preload, mof.Options{Namespace: ns}, files...)
			if err != nil {
				return &exitError{code: 1, err: err, silent: true}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&bare, "bare", false, "load nothing before the files")
	cmd.Flags().StringVar(&ns, "namespace", schema.Namespace, "namespace of classes before any #pragma namespace")
	return cmd
}

func newMOFShowCmd() *cobra.Command {
	var ns string
	return &cobra.Command{
		Use:     "show CLASS",
		Short:   "Print a class of redset's schema as MOF, inherited members marked",
		Example: "  redset mof show Msvm_RedundancySet",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			repo := mof.NewRepository()
			if err := mof.LoadNamespaces(repo, schema.FS, schema.Namespaces); err != nil {
				return err
			}
			return mof.Show(cmd.OutOrStdout(), repo, ns, args[0])
		},
	}
}
