/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A command's --help text as a man page (cli_man.h). The texts follow one
 * layout (a usage block, paragraphs, "  - " items, option lists whose
 * descriptions share a column, "examples:", "exit status:"), so the page
 * is read off it paragraph by paragraph; nothing is written twice.
 * May call: libc. */
#include "cli_man.h"

#include <ctype.h>
#include <string.h>

#define LINE_MAX_LEN 512
#define PARA_MAX_LINES 128 /* serve's options are 90 lines */

/* One paragraph of the help text: its lines, without the newlines. */
struct para {
    char line[PARA_MAX_LINES][LINE_MAX_LEN];
    int n;
};

enum section { SEC_NONE, SEC_DESCRIPTION, SEC_OPTIONS, SEC_COMMANDS, SEC_NOTES, SEC_EXAMPLES, SEC_EXIT, SEC_COUNT };

static const char *const section_title[] = {
    [SEC_DESCRIPTION] = "DESCRIPTION", [SEC_OPTIONS] = "OPTIONS", [SEC_COMMANDS] = "COMMANDS",
    [SEC_NOTES] = "NOTES",             [SEC_EXAMPLES] = "EXAMPLES",
    [SEC_EXIT] = "\"EXIT STATUS\"",
};

/* Where the page is: the section open, and the ones opened so far (each
 * heading once; prose after the options is NOTES). */
struct page {
    enum section at;
    int opened[SEC_COUNT];
};

/* ---------------------------------------------------------------- text -- */

/* A UTF-8 sequence at s (τ, ×, ·, µ) as groff's \[uXXXX], so that the page
 * reads the same whatever the reader's locale; the bytes it took. */
static size_t put_utf8(FILE *f, const unsigned char *s, size_t n)
{
    int len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 1;
    if (len == 1 || (size_t)len > n) {
        fputc('?', f); /* a stray byte: the texts are ours, and UTF-8 */
        return 1;
    }
    unsigned long cp = s[0] & (0x7F >> len);
    for (int k = 1; k < len; k++)
        cp = (cp << 6) | (s[k] & 0x3F);
    fprintf(f, "\\[u%04lX]", cp);
    return (size_t)len;
}

/* Text for troff: backslashes, dashes and quotes as themselves (\e, \-,
 * \(aq, \(ga: what the terminal shows is what --help shows, and a pasted
 * option works), and a line that would start with a request made text. */
static void put_escaped_n(FILE *f, const char *s, size_t n)
{
    if (n > 0 && (s[0] == '.' || s[0] == '\''))
        fputs("\\&", f);
    for (size_t i = 0; i < n && s[i]; i++) {
        if ((unsigned char)s[i] >= 0x80) {
            i += put_utf8(f, (const unsigned char *)s + i, n - i) - 1;
            continue;
        }
        switch (s[i]) {
        case '\\': fputs("\\e", f); break;
        case '-': fputs("\\-", f); break;
        case '\'': fputs("\\(aq", f); break;
        case '`': fputs("\\(ga", f); break;
        default: fputc(s[i], f);
        }
    }
}

static void put_escaped(FILE *f, const char *s)
{
    put_escaped_n(f, s, strlen(s));
}

static void put_line(FILE *f, const char *s)
{
    put_escaped(f, s);
    fputc('\n', f);
}

static const char *skip_blanks(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

static int indent_of(const char *s)
{
    return (int)(skip_blanks(s) - s);
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---------------------------------------------------------- paragraphs -- */

/* The next paragraph of *text (blank lines end one); 0 at the end. A
 * longer line or paragraph than the limits is cut: the texts are ours. */
static int next_para(const char **text, struct para *p)
{
    const char *s = *text;
    while (*s == '\n')
        s++;
    p->n = 0;
    while (*s && *s != '\n') {
        const char *end = strchr(s, '\n');
        size_t len = end ? (size_t)(end - s) : strlen(s);
        if (p->n < PARA_MAX_LINES)
            snprintf(p->line[p->n++], LINE_MAX_LEN, "%.*s", (int)len, s);
        s += len + (end ? 1 : 0);
    }
    *text = s;
    return p->n > 0;
}

/* "  --opt ARG   text": an option of a list (not a "  - " item). */
static int is_entry(const char *line)
{
    return indent_of(line) == 2 && line[2] == '-' && line[3] != ' ';
}

/* ------------------------------------------------------------- sections -- */

static void open_section(FILE *f, struct page *pg, enum section want)
{
    if (want == SEC_DESCRIPTION && pg->opened[SEC_DESCRIPTION] && pg->at != SEC_DESCRIPTION)
        want = SEC_NOTES;
    if (pg->at != want)
        fprintf(f, ".SH %s\n", section_title[want]);
    pg->at = want;
    pg->opened[want] = 1;
}

static void put_synopsis(FILE *f, const struct para *p)
{
    fputs(".SH SYNOPSIS\n.nf\n", f);
    size_t cut = strlen("usage: ");
    for (int i = 0; i < p->n; i++)
        put_line(f, strlen(p->line[i]) > cut ? p->line[i] + cut : "");
    fputs(".fi\n", f);
}

/* Prose with its "  - " items; lines that go on an item are indented. */
static void put_prose(FILE *f, const struct para *p, int from, const char *drop_prefix)
{
    int in_item = 0;
    fputs(".PP\n", f);
    for (int i = from; i < p->n; i++) {
        const char *s = p->line[i];
        if (i == from && drop_prefix && starts_with(s, drop_prefix))
            s = skip_blanks(s + strlen(drop_prefix));
        if (starts_with(s, "  - ")) {
            fputs(".IP \\(bu 2\n", f);
            s += 4;
            in_item = 1;
        } else if (in_item && indent_of(s) == 0) {
            fputs(".PP\n", f);
            in_item = 0;
        }
        put_line(f, skip_blanks(s));
    }
}

/* The column the list's descriptions start in: where its continuation
 * lines start, else after the widest run of two blanks of an entry. */
static int description_column(const struct para *p, int from)
{
    for (int i = from; i < p->n; i++)
        if (indent_of(p->line[i]) > 2)
            return indent_of(p->line[i]);
    int col = 0;
    for (int i = from; i < p->n; i++) {
        const char *gap = strstr(p->line[i] + 2, "  ");
        if (gap && indent_of(gap) + (int)(gap - p->line[i]) > col)
            col = indent_of(gap) + (int)(gap - p->line[i]);
    }
    return col;
}

/* An entry's name: words starting with '-' (and command names) bold, the
 * arguments italic. */
static void put_entry_name(FILE *f, const char *name, size_t len, int command)
{
    const char *s = name, *end = name + len;
    while (s < end) {
        const char *w = s;
        while (s < end && *s != ' ')
            s++;
        int bold = command || *w == '-';
        fputs(bold ? "\\fB" : "\\fI", f);
        put_escaped_n(f, w, (size_t)(s - w));
        fputs("\\fR", f);
        while (s < end && *s == ' ')
            s++;
        if (s < end)
            fputc(' ', f);
    }
    fputc('\n', f);
}

static void put_entry(FILE *f, const char *line, int col, int command)
{
    const char *name = line + 2;
    size_t len = strlen(name);
    const char *text = "";
    if (col > 2 && (int)strlen(line) > col && line[col - 1] == ' ') {
        len = (size_t)(col - 2);
        text = line + col;
    } else if (strstr(name, "  ")) {
        len = (size_t)(strstr(name, "  ") - name);
        text = skip_blanks(name + len);
    }
    while (len > 0 && name[len - 1] == ' ')
        len--;
    fputs(".TP\n", f);
    put_entry_name(f, name, len, command);
    put_line(f, text);
}

static void put_list(FILE *f, const struct para *p, int from, int command)
{
    int col = description_column(p, from);
    for (int i = from; i < p->n; i++) {
        if (is_entry(p->line[i]) || (command && indent_of(p->line[i]) == 2))
            put_entry(f, p->line[i], col, command);
        else
            put_line(f, skip_blanks(p->line[i]));
    }
}

static void put_examples(FILE *f, const struct para *p)
{
    fputs(".nf\n", f);
    for (int i = 0; i < p->n; i++)
        put_line(f, skip_blanks(i == 0 ? p->line[i] + strlen("examples:") : p->line[i]));
    fputs(".fi\n", f);
}

/* ---------------------------------------------------------------- page -- */

static void put_header(FILE *f, const struct cli_command *cmd, const char *version)
{
    char title[64];
    snprintf(title, sizeof title, "RESETLAB%s%s", cmd ? "-" : "", cmd ? cmd->name : "");
    for (char *c = title; *c; c++)
        *c = (char)toupper((unsigned char)*c);
    fprintf(f, ".\\\" Made by `resetlab help --man%s%s` from the text of its --help: edit that, not this.\n",
            cmd ? " " : "", cmd ? cmd->name : "");
    fputs(".TH ", f);
    put_escaped(f, title);
    fputs(" 1 \"\" \"resetlab ", f);
    put_escaped(f, version);
    fputs("\" \"resetlab manual\"\n.nh\n.ad l\n.SH NAME\n", f);
    fprintf(f, "resetlab%s%s \\- ", cmd ? "\\-" : "", cmd ? cmd->name : "");
    put_line(f, cmd ? cmd->summary : "test harness and timing analyzer for serial-port reset circuits");
}

static void put_see_also(FILE *f, const struct cli_command *cmd, const struct cli_command *const *all, int n_all)
{
    fputs(".SH \"SEE ALSO\"\n", f);
    if (cmd) {
        fputs("\\fBresetlab\\fR(1)\n", f);
        return;
    }
    for (int i = 0; i < n_all; i++)
        fprintf(f, "\\fBresetlab\\-%s\\fR(1)%s\n", all[i]->name, i + 1 < n_all ? "," : "");
}

static void put_para(FILE *f, const struct para *p, struct page *pg)
{
    const char *first = p->line[0];
    if (starts_with(first, "usage: ")) {
        put_synopsis(f, p);
    } else if (starts_with(first, "exit status:")) {
        open_section(f, pg, SEC_EXIT);
        put_prose(f, p, 0, "exit status:");
    } else if (starts_with(first, "examples:")) {
        open_section(f, pg, SEC_EXAMPLES);
        put_examples(f, p);
    } else if (strcmp(first, "options:") == 0 || strcmp(first, "commands:") == 0) {
        int command = strcmp(first, "commands:") == 0;
        open_section(f, pg, command ? SEC_COMMANDS : SEC_OPTIONS);
        put_list(f, p, 1, command);
    } else if (is_entry(first)) { /* an option list without "options:", or its second part */
        open_section(f, pg, SEC_OPTIONS);
        put_list(f, p, 0, 0);
    } else {
        open_section(f, pg, SEC_DESCRIPTION);
        put_prose(f, p, 0, NULL);
    }
}

void cli_man_write(FILE *f, const struct cli_command *cmd, const char *help, const char *version,
                   const struct cli_command *const *all, int n_all)
{
    static struct para p; /* 64 KB: not on the stack */
    struct page pg = {SEC_NONE, {0}};
    put_header(f, cmd, version);
    while (next_para(&help, &p))
        put_para(f, &p, &pg);
    put_see_also(f, cmd, all, n_all);
}
