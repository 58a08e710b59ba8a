/*
 * chart: lab 8's SVG writer. Small on purpose: fixed-size picture, events
 * binned into at most MAX_BINS bars, printed with fprintf.
 */
#include "chart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_BINS = 120 };

/* The picture's geometry, in SVG user units. */
#define W      960.0
#define H      400.0
#define LEFT   70.0
#define RIGHT  920.0
#define TOP    80.0
#define BOTTOM 340.0
#define LANE   64.0 /* the chatbot's lane */

struct mark {
    uint64_t t_ms;
    long status;
    bool flag; /* attempts: a retry; chatbot: ok */
};

struct list {
    struct mark *v;
    size_t n, cap;
};

struct chart {
    char title[160];
    long tier_rpm;
    double share_rpm;
    struct list attempts, bot;
};

static kit_status push(struct list *l, uint64_t t, long status, bool flag)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        struct mark *v = realloc(l->v, cap * sizeof(*v));

        if (!v)
            return KIT_ERR_NO_MEMORY;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n].t_ms = t;
    l->v[l->n].status = status;
    l->v[l->n].flag = flag;
    l->n++;
    return KIT_OK;
}

kit_status chart_create(const chart_config *cfg, chart **out)
{
    chart *c;

    if (out)
        *out = NULL;
    if (!cfg || !out || cfg->tier_rpm <= 0)
        return KIT_ERR_INVALID_ARG;
    c = calloc(1, sizeof(*c));
    if (!c)
        return KIT_ERR_NO_MEMORY;
    snprintf(c->title, sizeof(c->title), "%s", cfg->title ? cfg->title : "");
    c->tier_rpm = cfg->tier_rpm;
    c->share_rpm = cfg->share_rpm;
    *out = c;
    return KIT_OK;
}

void chart_destroy(chart *c)
{
    if (!c)
        return;
    free(c->attempts.v);
    free(c->bot.v);
    free(c);
}

kit_status chart_add_attempt(chart *c, uint64_t t_ms, long http_status,
                             bool retry)
{
    return c ? push(&c->attempts, t_ms, http_status, retry)
             : KIT_ERR_INVALID_ARG;
}

kit_status chart_add_chatbot(chart *c, uint64_t t_ms, bool ok)
{
    return c ? push(&c->bot, t_ms, 0, ok) : KIT_ERR_INVALID_ARG;
}

/* The smallest step of 1, 2 or 5 x 10^k that is at least x. */
static double nice(double x)
{
    double p = 1e-3;

    while (p * 10 <= x)
        p *= 10;
    if (x <= p)
        return p;
    if (x <= 2 * p)
        return 2 * p;
    if (x <= 5 * p)
        return 5 * p;
    return 10 * p;
}

/* Escapes the five XML characters of s into buf. */
static const char *xml(const char *s, char *buf, size_t n)
{
    size_t j = 0;

    for (; *s && j + 7 < n; s++) {
        const char *e = *s == '<'   ? "&lt;"
                        : *s == '>' ? "&gt;"
                        : *s == '&' ? "&amp;"
                        : *s == '"' ? "&quot;"
                                    : NULL;
        if (e) {
            memcpy(buf + j, e, strlen(e));
            j += strlen(e);
        } else {
            buf[j++] = *s;
        }
    }
    buf[j] = '\0';
    return buf;
}

kit_status chart_write_svg(const chart *c, const char *path)
{
    double ok[MAX_BINS], lim[MAX_BINS], err[MAX_BINS], rt[MAX_BINS];
    uint64_t end_ms = 1000;
    double bin_s, ymax, t_end_s, xstep;
    char buf[400];
    size_t nb;
    FILE *f;

    if (!c || !path)
        return KIT_ERR_INVALID_ARG;
    for (size_t i = 0; i < c->attempts.n; i++)
        if (c->attempts.v[i].t_ms > end_ms)
            end_ms = c->attempts.v[i].t_ms;
    for (size_t i = 0; i < c->bot.n; i++)
        if (c->bot.v[i].t_ms > end_ms)
            end_ms = c->bot.v[i].t_ms;

    /* Bins of a nice width, at most MAX_BINS of them. */
    bin_s = nice((double)end_ms / 1000.0 / MAX_BINS);
    if (bin_s < 1)
        bin_s = 1;
    nb = (size_t)((double)end_ms / 1000.0 / bin_s) + 1;
    if (nb > MAX_BINS)
        nb = MAX_BINS;
    t_end_s = (double)nb * bin_s;
    memset(ok, 0, sizeof(ok));
    memset(lim, 0, sizeof(lim));
    memset(err, 0, sizeof(err));
    memset(rt, 0, sizeof(rt));
    for (size_t i = 0; i < c->attempts.n; i++) {
        const struct mark *m = &c->attempts.v[i];
        size_t b = (size_t)((double)m->t_ms / 1000.0 / bin_s);

        if (b >= nb)
            b = nb - 1;
        if (m->status >= 200 && m->status < 300)
            ok[b] += 1;
        else if (m->status == 429)
            lim[b] += 1;
        else
            err[b] += 1;
        if (m->flag)
            rt[b] += 1;
    }
    ymax = (double)c->tier_rpm / 60.0 * 1.3;
    for (size_t b = 0; b < nb; b++) {
        double y = (ok[b] + lim[b] + err[b]) / bin_s;

        if (y > ymax)
            ymax = y * 1.05;
    }
    ymax = nice(ymax / 5) * 5;

    f = fopen(path, "w");
    if (!f)
        return KIT_ERR_IO;
#define X(t_s) (LEFT + (RIGHT - LEFT) * (t_s) / t_end_s)
#define Y(v)   (BOTTOM - (BOTTOM - TOP) * (v) / ymax)
    fprintf(f,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
            "font-family=\"sans-serif\" font-size=\"12\">\n"
            "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
            "<text x=\"%.0f\" y=\"24\" font-size=\"15\" "
            "font-weight=\"bold\">%s</text>\n",
            W, H, W, H, LEFT, xml(c->title, buf, sizeof(buf)));

    /* Axes and ticks: y in requests per second, x in minutes. */
    for (int i = 0; i <= 5; i++) {
        double v = ymax * i / 5;
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" "
                "text-anchor=\"end\">%g</text>\n",
                LEFT, Y(v), RIGHT, Y(v), LEFT - 6, Y(v) + 4, v);
    }
    xstep = nice(t_end_s / 60.0 / 8) * 60.0;
    for (double t = 0; t <= t_end_s + 1e-9; t += xstep)
        fprintf(f,
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g"
                "</text>\n",
                X(t), BOTTOM + 16, t / 60.0);
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">time "
            "(minutes on the provider's clock)</text>\n"
            "<text transform=\"translate(18 %.1f) rotate(-90)\" "
            "text-anchor=\"middle\">requests per second</text>\n",
            (LEFT + RIGHT) / 2, BOTTOM + 34, (TOP + BOTTOM) / 2);

    /* The bars. */
    for (size_t b = 0; b < nb; b++) {
        double x = X((double)b * bin_s), w = X(bin_s) - X(0);
        double base = 0;
        const double *part[3] = {ok, lim, err};
        static const char *const colour[3] = {"#4a90d9", "#d0021b", "#f5a623"};

        for (int k = 0; k < 3; k++) {
            double v = part[k][b] / bin_s;

            if (v > 0)
                fprintf(f,
                        "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                        "height=\"%.2f\" fill=\"%s\"/>\n",
                        x, Y(base + v), w > 1.5 ? w - 0.5 : w,
                        Y(base) - Y(base + v), colour[k]);
            base += v;
        }
    }
    /* Retries per second, as a thin line. */
    fprintf(f, "<polyline fill=\"none\" stroke=\"#333\" "
               "stroke-width=\"1\" points=\"");
    for (size_t b = 0; b < nb; b++)
        fprintf(f, "%.1f,%.1f ", X(((double)b + 0.5) * bin_s),
                Y(rt[b] / bin_s));
    fprintf(f, "\"/>\n");

    /* The tier's limit and the batch's share. */
    fprintf(f,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
            "stroke=\"#d0021b\" stroke-width=\"2\"/>\n"
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
            "fill=\"#d0021b\">tier limit %ld RPM</text>\n",
            LEFT, Y(c->tier_rpm / 60.0), RIGHT, Y(c->tier_rpm / 60.0), RIGHT,
            Y(c->tier_rpm / 60.0) - 4, c->tier_rpm);
    if (c->share_rpm > 0)
        fprintf(f,
                "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"#2e7d32\" stroke-width=\"2\" "
                "stroke-dasharray=\"6 4\"/>\n"
                "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" "
                "fill=\"#2e7d32\">batch share %.0f RPM</text>\n",
                LEFT, Y(c->share_rpm / 60.0), RIGHT, Y(c->share_rpm / 60.0),
                RIGHT, Y(c->share_rpm / 60.0) + 14, c->share_rpm);

    /* The chatbot's lane. */
    fprintf(f,
            "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">chatbot"
            "</text>\n",
            LEFT - 6, LANE + 4);
    for (size_t i = 0; i < c->bot.n; i++) {
        double x = X((double)c->bot.v[i].t_ms / 1000.0);

        if (c->bot.v[i].flag)
            fprintf(f,
                    "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" "
                    "fill=\"#2e7d32\"/>\n",
                    x, LANE);
        else
            fprintf(f,
                    "<path d=\"M%.1f %.1fl8 8m0 -8l-8 8\" stroke=\"#d0021b\" "
                    "stroke-width=\"2\"/>\n",
                    x - 4, LANE - 4);
    }

    /* The legend. */
    fprintf(f,
            "<g transform=\"translate(%.0f %.0f)\">"
            "<rect width=\"10\" height=\"10\" fill=\"#4a90d9\"/>"
            "<text x=\"14\" y=\"10\">answered</text>"
            "<rect x=\"90\" width=\"10\" height=\"10\" fill=\"#d0021b\"/>"
            "<text x=\"104\" y=\"10\">429</text>"
            "<rect x=\"150\" width=\"10\" height=\"10\" fill=\"#f5a623\"/>"
            "<text x=\"164\" y=\"10\">other failure</text>"
            "<line x1=\"260\" y1=\"5\" x2=\"280\" y2=\"5\" stroke=\"#333\"/>"
            "<text x=\"284\" y=\"10\">retries</text>"
            "<circle cx=\"355\" cy=\"5\" r=\"4\" fill=\"#2e7d32\"/>"
            "<text x=\"363\" y=\"10\">chatbot ok</text>"
            "<path d=\"M436 1l8 8m0 -8l-8 8\" stroke=\"#d0021b\" "
            "stroke-width=\"2\"/>"
            "<text x=\"450\" y=\"10\">chatbot failed</text></g>\n"
            "</svg>\n",
            LEFT, H - 22);
#undef X
#undef Y
    if (fclose(f) != 0)
        return KIT_ERR_IO;
    return KIT_OK;
}
