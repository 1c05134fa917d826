/* Indicator switch, quarter slider, legend and popups over the Folium commune layer.
   Reads #map-config (written by webmap/mapview.py); colours follow mapview.color_for. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var map = window[cfg.map];
  var layer = window[cfg.layer];
  var select = document.getElementById("indicator");
  var slider = document.getElementById("quarter");
  var sliderLabel = document.getElementById("quarter-label");
  var current = cfg.initial;
  var quarter = cfg.quarters.length - 1;

  function colorFor(key, value) {
    var spec = cfg.indicators[key];
    if (value === null || value === undefined) { return cfg.noData; }
    if (spec.kind === "category") {
      var i = spec.steps.indexOf(value);
      return i < 0 ? cfg.noData : spec.colors[i];
    }
    var n = 0;
    spec.steps.forEach(function (b) { if (value >= b) { n += 1; } });
    return spec.colors[n];
  }

  function valueOf(feature) {
    var props = feature.properties;
    if (current === "share") {
      var series = cfg.shares[props.insee];
      return series ? series[quarter] : null;
    }
    return props[current];
  }

  function style(feature) {
    return {fillColor: colorFor(current, valueOf(feature)), color: "#4d4d4d", weight: 0.8,
            fillOpacity: 0.75};
  }

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    this._div = L.DomUtil.create("div", "map-legend");
    return this._div;
  };
  legend.addTo(map);

  function drawLegend() {
    var spec = cfg.indicators[current];
    var div = legend._div;
    div.textContent = "";
    var title = L.DomUtil.create("strong", "", div);
    title.textContent = spec.label + (current === "share" && cfg.quarterLabels.length ?
      " — " + cfg.quarterLabels[quarter] : "");
    spec.legend.forEach(function (entry) {
      var row = L.DomUtil.create("div", "legend-row", div);
      var swatch = L.DomUtil.create("span", "swatch", row);
      swatch.style.background = entry.color;
      var text = L.DomUtil.create("span", "", row);
      text.textContent = entry.label;
    });
  }

  function redraw() {
    layer.options.style = style;  // resetStyle (search, hover) then keeps the current colours
    layer.setStyle(style);
    drawLegend();
    slider.disabled = current !== "share" || cfg.quarters.length === 0;
    sliderLabel.textContent = cfg.quarterLabels.length ? cfg.quarterLabels[quarter] : "–";
  }

  layer.eachLayer(function (shape) {
    var insee = shape.feature.properties.insee;
    var element = shape.getElement && shape.getElement();
    if (element) {
      element.setAttribute("data-insee", insee);
      element.classList.add("commune-shape");
    }
    if (cfg.popups[insee]) { shape.bindPopup(cfg.popups[insee], {maxWidth: 320}); }
    shape.on("mouseover", function () { shape.setStyle({weight: 2.5, color: "#000"}); });
    shape.on("mouseout", function () { layer.resetStyle(shape); });
  });

  select.addEventListener("change", function () { current = select.value; redraw(); });
  slider.addEventListener("input", function () { quarter = Number(slider.value); redraw(); });
  redraw();
}());
