// The board's behaviour: drag and drop between columns (SortableJS), task details in a side panel,
// and the live refresh paused while a card is being dragged. No inline script (CSP): everything
// the page needs is in its data- attributes.
(function () {
  "use strict";

  let dragging = false;

  function board() {
    return document.getElementById("board");
  }

  function moveCard(event) {
    dragging = false;
    const from = event.from.dataset.column;
    const to = event.to.dataset.column;
    if (from === to) {
      return;
    }
    const here = board();
    // The answer is the board as stored: a refused move puts the card back where it is.
    htmx.ajax("POST", "/web/move?" + here.dataset.query, {
      target: "#board",
      swap: "outerHTML",
      values: {
        csrf: here.dataset.csrf,
        c: here.dataset.channel,
        n: event.item.dataset.number,
        to: to,
        from: "board",
      },
    });
  }

  function makeSortable(root) {
    root.querySelectorAll("ol.cards[data-column]").forEach(function (list) {
      Sortable.create(list, {
        group: "board",
        animation: 120,
        forceFallback: true, // mouse and touch alike, on every browser
        fallbackTolerance: 4, // a click is not a drag
        delay: 200, // on a phone, a long press picks a card up; a swipe scrolls the board
        delayOnTouchOnly: true,
        onStart: function () {
          dragging = true;
        },
        onEnd: moveCard,
      });
    });
  }

  function openTask(event) {
    const link = event.target.closest(".card a.open");
    if (!link) {
      return;
    }
    event.preventDefault();
    htmx.ajax("GET", link.getAttribute("href"), { target: "#detail", swap: "innerHTML" });
  }

  function closeTask(event) {
    const panel = document.getElementById("detail");
    if (event.target.closest("[data-close]") && panel && !panel.classList.contains("page")) {
      event.preventDefault();
      panel.replaceChildren();
    }
  }

  document.addEventListener("click", openTask);
  document.addEventListener("click", closeTask);
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (dragging && event.detail.elt === board()) {
      event.preventDefault(); // no refresh under a card being dragged
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    const form = event.detail.elt;
    if (event.detail.successful && form.matches && form.matches("form.quick-add, form.inline-add")) {
      form.reset();
    }
  });
  htmx.onLoad(function (element) {
    if (element.querySelectorAll) {
      makeSortable(element);
    }
  });
})();
