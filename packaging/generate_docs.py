#!/usr/bin/env python3
"""Man page and bash completion made from a program's own --help, so neither drifts from the options it takes.

  generate_docs.py man PROGRAM SECTION_TITLE OUT      roff page: NAME, SYNOPSIS, and the help text as DESCRIPTION
  generate_docs.py completion PROGRAM OUT             bash completion of the commands and options --help lists
"""
import datetime
import os
import re
import subprocess
import sys


def help_text(program):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    p = subprocess.run([program, "--help"], capture_output=True, text=True, env=env, timeout=60)
    return p.stdout or p.stderr


def roff_escape(line):
    line = line.replace("\\", "\\e")
    return ("\\&" + line) if line.startswith((".", "'")) else line


def man(program, title, out):
    name = os.path.basename(program)
    text = help_text(program).rstrip("\n").splitlines()
    summary = next((l.strip() for l in text[1:] if l.strip()), title)
    date = datetime.date.fromtimestamp(int(os.environ.get("SOURCE_DATE_EPOCH", "1764547200"))).isoformat()
    lines = [f'.TH {name.upper()} 1 "{date}" "AOTIScope" "{title}"', ".SH NAME", f"{name} \\- {roff_escape(summary)}",
             ".SH SYNOPSIS", roff_escape(text[0]) if text else name, ".SH DESCRIPTION", ".nf"]
    lines += [roff_escape(l) for l in text]
    lines += [".fi", ".SH SEE ALSO", "aotiscope(1), aotiscope-cli(1); the README and docs/ of AOTIScope"]
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def completion(program, out):
    name = os.path.basename(program)
    text = help_text(program)
    commands, options = [], set()
    section = None
    for line in text.splitlines():
        if re.match(r"^[a-z ]+:$", line):
            section = line[:-1]
            continue
        m = re.match(r"^  ([a-z][a-z-]*)\b", line)
        if section == "commands" and m:
            if m.group(1) not in commands:
                commands.append(m.group(1))
        options.update(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", line) if line.startswith("  ") else [])
    func = "_" + name.replace("-", "_")
    script = f"""# bash completion for {name}, generated from its --help (packaging/generate_docs.py)
{func}() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    case "$prev" in
        --root|-o|--output|--spec|--against|--worker|--python|--recording) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    esac
    if [[ $COMP_CWORD -eq 1 ]]; then
        COMPREPLY=($(compgen -W "{' '.join(commands)}" -- "$cur"))
    elif [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "{' '.join(sorted(options))}" -- "$cur"))
    elif [[ "${{COMP_WORDS[1]}}" == report ]]; then
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}}
complete -F {func} {name}
"""
    with open(out, "w") as f:
        f.write(script)


if __name__ == "__main__":
    if sys.argv[1] == "man":
        man(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        completion(sys.argv[2], sys.argv[3])
