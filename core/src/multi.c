/* cmfa_call_many: many calls of one operation at once over libcurl's multi interface. Each
 * slot drives one operation object (operation.c), as cmfa_call does, with its waits (backoff,
 * rate limit) scheduled instead of slept, so other slots keep going. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cmfa_int.h"

enum slot_state { SLOT_FREE, SLOT_RUNNING, SLOT_WAITING };

struct slot {
    CURL *curl;
    enum slot_state state;
    size_t item;
    struct cmfa_op *op;
    struct cmfa__http_response hr;
    struct cmfa__xfer x;
    long long wake_ms;
};

struct batch {
    struct cmfa_client *client;
    const char *operation;
    struct cmfa_batch_item *items;
    CURLM *multi;
    size_t done;
};

/* The item's operation is over: hand its result and error to the item. */
static void finish_item(struct batch *b, struct slot *s)
{
    struct cmfa_batch_item *it = &b->items[s->item];

    if (cmfa_op_error(s->op)->code == CMFA_OK)
        it->output = cmfa_op_take_output(s->op);
    cmfa__op_take_error(s->op, &it->err);
    cmfa_op_free(s->op);
    s->op = NULL;
    s->state = SLOT_FREE;
    b->done++;
}

/* Asks the slot's operation what next: start a transfer, wait, or finish the item. */
static void advance(struct batch *b, struct slot *s)
{
    const struct cmfa_request *req;
    long delay_ms;
    cmfa_code rc;

    for (;;) {
        switch (cmfa_op_next(s->op, &req, &delay_ms)) {
        case CMFA_OP_SEND:
            cmfa__http_response_init(&s->hr, b->client->max_response_bytes);
            rc = cmfa__xfer_setup(b->client, s->curl, req, &s->x, &s->hr);
            if (rc == CMFA_OK && curl_multi_add_handle(b->multi, s->curl) != CURLM_OK)
                rc = CMFA_E_INTERNAL;
            if (rc == CMFA_OK) {
                s->state = SLOT_RUNNING;
                return;
            }
            if (s->x.headers) {
                curl_slist_free_all(s->x.headers);
                s->x.headers = NULL;
            }
            cmfa__http_response_cleanup(&s->hr);
            /* could not start the transfer: this attempt failed in our hands */
            cmfa_op_transport_failed(s->op, rc == CMFA_E_NOMEM ? CMFA_E_NOMEM : CMFA_E_TRANSPORT,
                                     "could not start the libcurl transfer");
            continue;
        case CMFA_OP_WAIT:
            s->state = SLOT_WAITING;
            s->wake_ms = cmfa__monotonic_ms() + delay_ms;
            return;
        default:
            finish_item(b, s);
            return;
        }
    }
}

/* A transfer ended: report its outcome to the operation, then advance it. */
static void transfer_done(struct batch *b, struct slot *s, CURLcode result)
{
    char msg[CMFA_ERROR_SIZE];
    cmfa_code rc;

    curl_multi_remove_handle(b->multi, s->curl);
    rc = cmfa__xfer_finish(b->client, s->curl, (int)result, &s->x, msg, sizeof(msg));
    if (rc == CMFA_OK)
        cmfa_op_response(s->op, &s->hr.resp);
    else
        cmfa_op_transport_failed(s->op, rc, msg);
    cmfa__http_response_cleanup(&s->hr);
    advance(b, s);
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
    if (concurrency < 1 || concurrency > CMFA_MAX_CONCURRENCY)
        return cmfa__fail(err, CMFA_E_BAD_ARGUMENT, "concurrency must be between 1 and %d (got %d)",
                          CMFA_MAX_CONCURRENCY, concurrency);
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
        cmfa__xfer_handle_init(client, slots[i].curl);
    }
    curl_multi_setopt(b.multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)nslots);

    while (b.done < nitems) {
        long long now = cmfa__monotonic_ms();
        long wait_ms = 1000;
        int running = 0;

        size_t active = 0;

        for (i = 0; i < nslots; i++) {
            struct slot *s = &slots[i];
            if (s->state == SLOT_WAITING && now >= s->wake_ms)
                advance(&b, s);
            /* an item that fails before anything is sent frees the slot at once */
            while (s->state == SLOT_FREE && next < nitems) {
                s->item = next++;
                s->op = cmfa_op_new(client, operation, items[s->item].input, &items[s->item].err);
                if (!s->op) {
                    b.done++;
                    continue;
                }
                advance(&b, s);
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
            curl_slist_free_all(slots[i].x.headers);
        if (slots[i].state == SLOT_RUNNING)
            cmfa__http_response_cleanup(&slots[i].hr);
        cmfa_op_free(slots[i].op);
        if (slots[i].curl)
            curl_easy_cleanup(slots[i].curl);
    }
    cmfa_free(slots);
    if (b.multi)
        curl_multi_cleanup(b.multi);
    return rc;
}
