/* A stand-in for Stripe.js v3 (https://js.stripe.com/v3/), served by the local Stripe sandbox.

   The subset the funding page uses, with Stripe.js's names and results:
     var stripe = Stripe(publishableKey);
     var elements = stripe.elements({clientSecret: clientSecret});
     elements.create("payment").mount("#payment-element");   // card number, expiry, CVC
     stripe.confirmPayment({elements: elements, confirmParams: {return_url: url},
                            redirect: "if_required"})          // -> {paymentIntent} or {error}
   Like Stripe.js it makes a PaymentMethod of the typed card (POST /v1/payment_methods) and
   confirms the PaymentIntent with the publishable key and the client secret, so card details
   never reach the page's own server. A PaymentIntent that needs 3-D Secure sends the browser to
   the issuer's challenge (here the sandbox's page), which returns to `return_url` with
   `payment_intent`, `payment_intent_client_secret` and `redirect_status`. */
(function () {
  "use strict";
  var API = __SANDBOX_API__;
  var counter = 0;

  function integrationError(message) {
    var error = new Error(message);
    error.name = "IntegrationError";
    return error;
  }

  function post(path, key, params) {
    var body = new URLSearchParams();
    Object.keys(params).forEach(function (name) {
      if (params[name] !== undefined && params[name] !== null) { body.set(name, params[name]); }
    });
    body.set("key", key);
    return fetch(API + path, {
      method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded"},
      body: body.toString()
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }, function () {
      return {ok: false, data: {error: {
        type: "api_connection_error",
        message: "We could not reach Stripe. Check your connection and try again."
      }}};
    });
  }

  function luhn(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = Number(digits.charAt(digits.length - 1 - i));
      if (i % 2 === 1) { d *= 2; if (d > 9) { d -= 9; } }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function validationError(code, message) {
    return {error: {type: "validation_error", code: code, message: message}};
  }

  function withQuery(url, params) {
    var target = new URL(url, window.location.href);
    Object.keys(params).forEach(function (name) { target.searchParams.set(name, params[name]); });
    return target.toString();
  }

  // -- the Payment Element (cards only) ----------------------------------------------------

  function PaymentElement() {
    this._node = null;
    this._inputs = null;
    this._handlers = {};
  }

  PaymentElement.prototype.on = function (event, handler) {
    (this._handlers[event] = this._handlers[event] || []).push(handler);
    return this;
  };

  PaymentElement.prototype._emit = function (event, payload) {
    (this._handlers[event] || []).forEach(function (handler) { handler(payload); });
  };

  PaymentElement.prototype.mount = function (target) {
    var node = typeof target === "string" ? document.querySelector(target) : target;
    if (!node) { throw integrationError("mount(): no element matches " + target); }
    var id = "stripe-sandbox-" + (++counter);
    var box = document.createElement("div");
    box.className = "stripe-sandbox-payment-element";
    box.style.cssText = "border:1px solid #c8ccd6;border-radius:6px;padding:.75rem;margin:.5rem 0";

    function field(name, label, attrs) {
      var wrap = document.createElement("div");
      var tag = document.createElement("label");
      tag.htmlFor = id + "-" + name;
      tag.textContent = label;
      var input = document.createElement("input");
      input.id = id + "-" + name;
      Object.keys(attrs).forEach(function (a) { input.setAttribute(a, attrs[a]); });
      wrap.appendChild(tag);
      wrap.appendChild(input);
      return {wrap: wrap, input: input};
    }

    var note = document.createElement("p");
    note.className = "help";
    note.textContent = "Card · Stripe sandbox (test mode)";
    var number = field("number", "Card number",
      {autocomplete: "cc-number", inputmode: "numeric", placeholder: "1234 1234 1234 1234"});
    var expiry = field("expiry", "Expiration date",
      {autocomplete: "cc-exp", inputmode: "numeric", placeholder: "MM / YY"});
    var cvc = field("cvc", "Security code",
      {autocomplete: "cc-csc", inputmode: "numeric", placeholder: "CVC"});
    var row = document.createElement("div");
    row.style.cssText = "display:flex;gap:1rem";
    row.appendChild(expiry.wrap);
    row.appendChild(cvc.wrap);
    box.appendChild(note);
    box.appendChild(number.wrap);
    box.appendChild(row);
    node.textContent = "";
    node.appendChild(box);
    this._node = node;
    this._inputs = {number: number.input, expiry: expiry.input, cvc: cvc.input};
    var self = this;
    [number.input, expiry.input, cvc.input].forEach(function (input) {
      input.addEventListener("input", function () {
        self._emit("change", {elementType: "payment", complete: !self._card().error});
      });
    });
    this._emit("ready", {elementType: "payment"});
  };

  PaymentElement.prototype.unmount = function () {
    if (this._node) { this._node.textContent = ""; }
    this._node = null;
    this._inputs = null;
  };
  PaymentElement.prototype.destroy = PaymentElement.prototype.unmount;

  // The typed card as PaymentMethod params, or Stripe.js's validation error.
  PaymentElement.prototype._card = function () {
    if (!this._inputs) { return validationError("incomplete", "The payment form is not mounted."); }
    var number = this._inputs.number.value.replace(/\D/g, "");
    if (number.length < 13) {
      return validationError("incomplete_number", "Your card number is incomplete.");
    }
    if (!luhn(number)) { return validationError("invalid_number", "Your card number is invalid."); }
    var expiry = this._inputs.expiry.value.replace(/\D/g, "");
    if (expiry.length !== 4 && expiry.length !== 6) {
      return validationError("incomplete_expiry", "Your card's expiration date is incomplete.");
    }
    var cvc = this._inputs.cvc.value.replace(/\D/g, "");
    if (cvc.length < 3) {
      return validationError("incomplete_cvc", "Your card's security code is incomplete.");
    }
    return {params: {
      "type": "card",
      "card[number]": number,
      "card[exp_month]": expiry.slice(0, 2),
      "card[exp_year]": expiry.slice(2),
      "card[cvc]": cvc
    }};
  };

  // -- Elements -----------------------------------------------------------------------------

  function Elements(stripe, options) {
    if (!options || typeof options.clientSecret !== "string" ||
        options.clientSecret.indexOf("_secret_") < 0) {
      throw integrationError("elements(): expected a PaymentIntent's clientSecret");
    }
    this._stripe = stripe;
    this._clientSecret = options.clientSecret;
    this._payment = null;
  }

  Elements.prototype.create = function (type) {
    if (type !== "payment") {
      throw integrationError("create(): the sandbox's Stripe.js makes only the \"payment\" element");
    }
    if (this._payment) { throw integrationError("create(): a payment element already exists"); }
    this._payment = new PaymentElement();
    return this._payment;
  };

  Elements.prototype.getElement = function (type) {
    return type === "payment" ? this._payment : null;
  };

  // -- Stripe -------------------------------------------------------------------------------

  function Stripe(key) {
    if (!(this instanceof Stripe)) { return new Stripe(key); }
    if (typeof key !== "string" || key.indexOf("pk_") !== 0) {
      throw integrationError("Invalid value for Stripe(): apiKey should be a publishable key (pk_…).");
    }
    this._key = key;
  }

  Stripe.prototype.elements = function (options) { return new Elements(this, options); };

  Stripe.prototype.confirmPayment = function (options) {
    var key = this._key;
    options = options || {};
    var elements = options.elements;
    var confirmParams = options.confirmParams || {};
    var redirect = options.redirect || "always";
    if (!(elements instanceof Elements) || !elements._payment) {
      return Promise.reject(integrationError("confirmPayment(): expected elements with a mounted payment element"));
    }
    if (redirect === "always" && !confirmParams.return_url) {
      return Promise.reject(integrationError("confirmPayment(): expected confirmParams.return_url"));
    }
    var card = elements._payment._card();
    if (card.error) { return Promise.resolve(card); }
    var secret = elements._clientSecret;
    var intentId = secret.split("_secret_")[0];
    var leaving = new Promise(function () {});  // the browser goes elsewhere: never settles

    return post("/v1/payment_methods", key, card.params).then(function (made) {
      if (!made.ok) { return {error: made.data.error}; }
      return post("/v1/payment_intents/" + encodeURIComponent(intentId) + "/confirm", key, {
        client_secret: secret,
        payment_method: made.data.id,
        return_url: confirmParams.return_url
      }).then(function (confirmed) {
        if (!confirmed.ok) { return {error: confirmed.data.error}; }
        var intent = confirmed.data;
        var next = intent.next_action;
        if (intent.status === "requires_action" && next) {
          var url = next.type === "redirect_to_url" ? next.redirect_to_url.url
            : next.use_stripe_sdk && next.use_stripe_sdk.stripe_js;
          window.location.assign(url);
          return leaving;
        }
        if (redirect === "always") {
          window.location.assign(withQuery(confirmParams.return_url, {
            payment_intent: intent.id,
            payment_intent_client_secret: secret,
            redirect_status: intent.status === "succeeded" ? "succeeded" : "pending"
          }));
          return leaving;
        }
        return {paymentIntent: intent};
      });
    });
  };

  window.Stripe = Stripe;
})();
