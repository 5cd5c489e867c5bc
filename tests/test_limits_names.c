/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Names from files become parts of output paths (issue 18, item 11): a
 * board named "../../evil" made `run --captures` write two folders above
 * --out/captures. Every name a file gives (chips, circuits, bridges,
 * hosts, analyzers, boards, scenarios, and the op log's) is checked when
 * it is loaded: 1 to 31 (scenarios 63) letters, digits, '.', '_' and '-',
 * not starting with '.' or '-'. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "harness/lab/lab_load.h"
#include "harness/run/run_meta.h"
#include "limits_fixture.h"

static char dir[] = "/tmp/resetlab-limits-names-XXXXXX";

static void setup(void)
{
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    remove_tree(dir);
}

TestSuite(limits_names, .init = setup, .fini = teardown);

/* The shipped boards.yaml with `from` (a whole line) replaced by `to`; the
 * replaced line's number in *line. A malloc'd string. */
static char *shipped_with(const char *from, const char *to, int *line)
{
    char path[512];
    char *s = slurp(src_path("boards.yaml", path, sizeof path), NULL);
    cr_assert_not_null(s);
    char *at = strstr(s, from);
    cr_assert_not_null(at, "no '%s' in boards.yaml", from);
    *line = 1;
    for (const char *p = s; p < at; p++)
        *line += *p == '\n';
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    cr_assert_not_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    free(s);
    return out;
}

/* The first entry of each section renamed "../../evil": one line naming
 * the file, the entry's line and the section. */
Test(limits_names, a_bad_name_of_each_kind_is_refused_where_it_is)
{
    static const struct {
        const char *section, *line;
    } kinds[] = {
        {"chips", "\n  esp32:"},           {"circuits", "\n  two-transistor:"},
        {"bridges", "\n  cp210x:"},        {"hosts", "\n  native-linux:"},
        {"analyzers", "\n  sim-la: &sim_la"}, {"boards", "\n  devkitc:"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        char to[64], file[256], err[512], want[256];
        const char *colon = strchr(kinds[i].line, ':');
        snprintf(to, sizeof to, "\n  ../../evil%s", colon);
        int line;
        char *text = shipped_with(kinds[i].line, to, &line);
        write_temp(text, ".yaml", file, sizeof file);
        free(text);
        struct lab lab;
        int rc = lab_load(&lab, file, err, sizeof err);
        unlink(file);
        if (rc == 0)
            lab_free(&lab);
        snprintf(want, sizeof want,
                 ":%d: %s: '../../evil' is not a name: 1 to 31 of letters, digits, '.', '_' and '-', not starting "
                 "with '.' or '-'",
                 line + 1, kinds[i].section);
        cr_expect_eq(rc, -1, "%s loaded", kinds[i].section);
        cr_expect(strstr(err, want) != NULL, "%s: %s (wanted %s)", kinds[i].section, err, want);
    }
}

/* What a name may be, at both ends of each rule. */
Test(limits_names, the_rules_of_a_name)
{
    static const char *const good[] = {"a", "devkitc", "esp32c3-usb", "seed-12k-1u", "A.b_c-9",
                                       "x234567890123456789012345678901"}; /* 31 */
    static const char *const bad[] = {"", ".hidden", "-opt", "a/b", "..", "a b", "tab\there", "new\nline",
                                      "caf\xc3\xa9", "x2345678901234567890123456789012" /* 32 */};
    char why[160];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect_eq(lab_name_check(good[i], LAB_NAME_MAX, why, sizeof why), 0, "'%s': %s", good[i], why);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(lab_name_check(bad[i], LAB_NAME_MAX, why, sizeof why), -1, "'%s' passed", bad[i]);
        cr_expect(strchr(why, '\n') == NULL && strchr(why, '\t') == NULL, "not one line: %s", why);
    }
    cr_expect_eq(lab_name_check("new\nline", 31, why, sizeof why), -1);
    cr_expect_str_eq(why, "'new?line' is not a name: 1 to 31 of letters, digits, '.', '_' and '-', not starting "
                          "with '.' or '-'");
}

/* Every name the shipped lab gives passes. */
Test(limits_names, every_shipped_name_passes)
{
    struct lab lab;
    load_shipped_lab(&lab);
    char why[160];
    int n = 0;
#define CHECK(arr, cnt, max)                                                                   \
    for (int i = 0; i < lab.cnt; i++, n++)                                                     \
        cr_expect_eq(lab_name_check(lab.arr[i].name, max, why, sizeof why), 0, "%s", why);
    CHECK(chips, n_chips, LAB_NAME_MAX)
    CHECK(circuits, n_circuits, LAB_NAME_MAX)
    CHECK(bridges, n_bridges, LAB_NAME_MAX)
    CHECK(hosts, n_hosts, LAB_NAME_MAX)
    CHECK(boards, n_boards, LAB_NAME_MAX)
    CHECK(scenarios, n_scenarios, LAB_SCENARIO_NAME_MAX)
#undef CHECK
    cr_expect_eq(n, lab.n_chips + lab.n_circuits + lab.n_bridges + lab.n_hosts + lab.n_boards + lab.n_scenarios);
    cr_expect_geq(lab.n_boards, 13);
    lab_free(&lab);
}

/* A scenario's name, and the names an op log gives. */
Test(limits_names, a_scenario_and_an_op_log_with_a_bad_name_are_refused)
{
    char file[256], err[512];
    struct scenario s;
    write_temp("name: ../up\norigin: test\nexpect: download\nsequence: \"O|D1|W0.1|D0\"\n", ".yaml", file,
               sizeof file);
    cr_expect_eq(scenario_load_file(&s, file, err, sizeof err), -1);
    unlink(file);
    cr_expect(strstr(err, ":1: name: '../up' is not a name: 1 to 63 of") != NULL, "%s", err);

    struct run_meta *m = malloc(sizeof *m);
    cr_assert_not_null(m);
    write_temp("board: \"../../evil\"\nhost: \"native-linux\"\nscenario: \"esptool-classic\"\nseed: 1\n"
               "iteration: 0\nexpect: download\nops: []\n",
               ".yaml", file, sizeof file);
    cr_expect_eq(run_meta_read(file, m, err, sizeof err), -1);
    unlink(file);
    cr_expect(strstr(err, ":1: board: '../../evil' is not a name") != NULL, "%s", err);
    free(m);
}

static int entries(const char *path)
{
    DIR *d = opendir(path);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

/* The case end to end: `run --captures all` on a board named
 * "../../evil" wrote its capture and op log beside --out, not in
 * --out/captures. Now the lab is refused and nothing is written. */
Test(limits_names, run_captures_cannot_leave_the_captures_folder)
{
    char boards[256], parent[256], out[300];
    int line;
    char *text = shipped_with("\n  devkitc:", "\n  ../../evil:", &line);
    snprintf(boards, sizeof boards, "%s/boards.yaml", dir);
    FILE *f = fopen(boards, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    free(text);
    snprintf(parent, sizeof parent, "%s/parent", dir);
    cr_assert_eq(mkdir(parent, 0755), 0);
    snprintf(out, sizeof out, "%s/out", parent);
    const char *args[] = {"run", "--boards", boards, "--board", "../../evil", "--host", "native-linux",
                          "--scenario", "esptool-classic", "--iterations", "1", "--captures", "all", "--out", out,
                          NULL};
    struct measured m = run_measured(args);
    expect_refused(&m, "boards: '../../evil' is not a name");
    cr_expect_eq(entries(parent), 0, "%d files beside --out", entries(parent));
    cr_expect_eq(entries(dir), 2, "%d entries in the test folder", entries(dir)); /* boards.yaml, parent */
}

/* tune --write FILE names the scenario after FILE: a name that would not
 * load is refused before the search, and nothing is written. */
Test(limits_names, tune_refuses_a_scenario_file_whose_name_would_not_load)
{
    char path[300];
    snprintf(path, sizeof path, "%s/my tune.yaml", dir);
    const char *args[] = {"tune", "--board", "devkitc", "--iterations", "100", "--write", path, NULL};
    struct measured m = run_measured(args);
    expect_refused(&m, "its base name is the scenario's: 'my tune' is not a name");
    cr_expect_lt(m.seconds, 2.0, "%.1f s: the search ran", m.seconds);
    cr_expect_eq(access(path, F_OK), -1, "written");
}
