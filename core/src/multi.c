/* cmfa_call_many: many calls of one operation at once over libcurl's multi interface. Each
 * slot runs the same attempt cycle as cmfa_call (prepare -> transfer -> parse -> retry
 * decision), with backoff waits scheduled instead of slept, so other slots keep going. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cmfa_int.h"

#define MAX_CONCURRENCY 64

enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_WAITING };

struct slot {
    CURL *curl;
    enum slot_state state;
    size_t item;
    struct cmfa_request *req;
    struct cmfa__http_response hr;
    struct cmfa__xfer x;
    struct cmfa_retry retry;
    long long wake_ms;
};

struct batch {
    struct cmfa_client *client;
    const char *operation;
    struct cmfa_batch_item *items;
    CURLM *multi;
    size_t done;
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void release_attempt(struct slot *s)
{
    cmfa__http_response_cleanup(&s->hr);
    cmfa_request_free(s->req);
    s->req = NULL;
}

static void finish_item(struct batch *b, struct slot *s)
{
    release_attempt(s);
    s->state = SLOT_FREE;
    b->done++;
}

/* Starts the next attempt of the slot's item; on a failure before sending, the item ends. */
static void start_attempt(struct batch *b, struct slot *s)
{
    struct cmfa_batch_item *it = &b->items[s->item];
    cmfa_code rc;

    s->req = cmfa_prepare(b->client, b->operation, it->input, &it->err);
    if (!s->req) {
        finish_item(b, s);
        return;
    }
    cmfa__debug_request(b->client, s->req, s->retry.attempt + 1);
    cmfa__http_response_init(&s->hr, b->client->max_response_bytes);
    rc = cmfa__xfer_setup(b->client, s->curl, s->req, &s->x, &s->hr, &it->err);
    if (rc == CMFA_OK && curl_multi_add_handle(b->multi, s->curl) != CURLM_OK)
        rc = cmfa__fail(&it->err, CMFA_E_INTERNAL, "curl_multi_add_handle failed");
    if (rc != CMFA_OK) {
        if (s->x.headers) {
            cmfa__slist_free_secret(s->x.headers);
            s->x.headers = NULL;
        }
        finish_item(b, s);
        return;
    }
    s->state = SLOT_RUNNING;
}

/* A transfer ended: parse, then succeed, schedule a retry, or give up. */
static void transfer_done(struct batch *b, struct slot *s, CURLcode result)
{
    struct cmfa_batch_item *it = &b->items[s->item];
    long delay_ms = 0;
    cmfa_code rc;

    curl_multi_remove_handle(b->multi, s->curl);
    rc = cmfa__xfer_finish(b->client, s->curl, (int)result, &s->x, &it->err);
    if (rc == CMFA_OK)
        rc = cmfa_parse_response(b->client, b->operation, &s->hr.resp, &it->output, &it->err);
    release_attempt(s);
    if (rc == CMFA_OK) {
        cmfa_retry_success(b->client, &s->retry);
        it->err.attempts = s->retry.attempt + 1;
        s->state = SLOT_FREE;
        b->done++;
        return;
    }
    if (rc != CMFA_E_NOMEM && cmfa_retry_next(b->client, &s->retry, &it->err, &delay_ms)) {
        s->state = SLOT_WAITING;
        s->wake_ms = now_ms() + delay_ms;
        return;
    }
    if (rc == CMFA_E_NOMEM)
        it->err.attempts = s->retry.attempt + 1;
    s->state = SLOT_FREE;
    b->done++;
}

static struct slot *slot_of(struct slot *slots, size_t n, CURL *easy)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (slots[i].curl == easy)
            return &slots[i];
    return NULL;
}

/* Handles every finished transfer; returns how many there were. */
static size_t drain(struct batch *b, struct slot *slots, size_t nslots)
{
    CURLMsg *msg;
    size_t finished = 0;
    int queued;

    while ((msg = curl_multi_info_read(b->multi, &queued)) != NULL) {
        struct slot *s;
        if (msg->msg != CURLMSG_DONE)
            continue;
        s = slot_of(slots, nslots, msg->easy_handle);
        if (s && s->state == SLOT_RUNNING) {
            transfer_done(b, s, msg->data.result);
            finished++;
        }
    }
    return finished;
}

cmfa_code cmfa_call_many(struct cmfa_client *client, const char *operation,
                         struct cmfa_batch_item *items, size_t nitems, int concurrency,
                         struct cmfa_error *err)
{
    struct slot *slots = NULL;
    struct batch b;
    size_t nslots, next = 0, i;
    cmfa_code rc = CMFA_OK;

    if (!client || !operation || (!items && nitems))
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "client, operation and items are required");
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "concurrency must be between 1 and %d (got %d)",
                          MAX_CONCURRENCY, concurrency);
    for (i = 0; i < nitems; i++) {
        cmfa_error_init(&items[i].err);
        items[i].output = NULL;
    }
    if (!nitems)
        return CMFA_OK;
    nslots = (size_t)concurrency < nitems ? (size_t)concurrency : nitems;

    memset(&b, 0, sizeof(b));
    b.client = client;
    b.operation = operation;
    b.items = items;
    b.multi = curl_multi_init();
    slots = cmfa_malloc(nslots * sizeof(*slots));
    if (!b.multi || !slots) {
        rc = cmfa__fail(err, CMFA_E_NOMEM, NULL);
        goto cleanup;
    }
    memset(slots, 0, nslots * sizeof(*slots));
    for (i = 0; i < nslots; i++) {
        slots[i].curl = curl_easy_init();
        if (!slots[i].curl) {
            rc = cmfa__fail(err, CMFA_E_NOMEM, "could not create a libcurl handle");
            goto cleanup;
        }
    }
    curl_multi_setopt(b.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nslots);

    while (b.done < nitems) {
        long long now = now_ms();
        long wait_ms = 1000;
        int running = 0;

        size_t active = 0;

        for (i = 0; i < nslots; i++) {
            struct slot *s = &slots[i];
            if (s->state == SLOT_WAITING && now >= s->wake_ms)
                start_attempt(&b, s);
            /* an item that fails before anything is sent frees the slot at once */
            while (s->state == SLOT_FREE && next < nitems) {
                s->item = next++;
                cmfa_retry_init(client, &s->retry);
                start_attempt(&b, s);
            }
            if (s->state == SLOT_WAITING && s->wake_ms - now < wait_ms)
                wait_ms = (long)(s->wake_ms - now > 0 ? s->wake_ms - now : 0);
            if (s->state != SLOT_FREE)
                active++;
        }
        if (b.done >= nitems || !active)
            continue;
        /* Drive the transfers; wait for socket activity (or the next retry's time) only when
         * nothing finished: a transfer that completed inside perform leaves poll nothing to
         * wake it, so polling then would sleep the whole wait. */
        if (curl_multi_perform(b.multi, &running) != CURLM_OK) {
            rc = cmfa__fail(err, CMFA_E_INTERNAL, "libcurl multi interface failed");
            goto cleanup;
        }
        if (drain(&b, slots, nslots) == 0) {
            if (curl_multi_poll(b.multi, NULL, 0, (int)wait_ms, NULL) != CURLM_OK ||
                curl_multi_perform(b.multi, &running) != CURLM_OK) {
                rc = cmfa__fail(err, CMFA_E_INTERNAL, "libcurl multi interface failed");
                goto cleanup;
            }
            drain(&b, slots, nslots);
        }
    }

cleanup:
    for (i = 0; slots && i < nslots; i++) {
        if (slots[i].state == SLOT_RUNNING)
            curl_multi_remove_handle(b.multi, slots[i].curl);
        if (slots[i].x.headers)
            cmfa__slist_free_secret(slots[i].x.headers);
        if (slots[i].state != SLOT_FREE)
            release_attempt(&slots[i]);
        if (slots[i].curl)
            curl_easy_cleanup(slots[i].curl);
    }
    cmfa_free(slots);
    if (b.multi)
        curl_multi_cleanup(b.multi);
    return rc;
}
