// Kubernetes expands $(VAR) (a variable of the container's env) and $$ (a literal $) in a
// container's command and args, and in env values; any other $ stays as it is. Scripts must
// reach the shell byte for byte, so every string Furrow writes into command, args or env (its
// own scripts and the user's `script`) goes through `verbatim`. A user's `command` and `args`
// are left as written: they keep Kubernetes' meaning, as in a Pod or a Tekton step.

/**
 * Doubles each $ that the expansion would read (one followed by $ or by "("), which the
 * expansion turns back into exactly one. Other $ are left alone, so "$@" and "$1" stay readable
 * in the pod.
 */
export function verbatim(text: string): string {
  // A function replacer: in a replacement string, "$$" itself means "$".
  return text.replace(/\$(?=[$(])/g, () => '$$');
}
