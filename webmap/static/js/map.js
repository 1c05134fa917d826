/* The home page map's layers, drawn from #map-config (written by webmap/mapview.py).
   Folium only creates the map frame; this script adds the basemap, the commune choropleth
   with its tooltips and popups, the overlays (clustered sites, works, gap circles and
   hexagons), the layer control, the commune search, the indicator switch, the quarter
   slider and the legend. Every value from the data is shown as text (textContent, or
   escaped where Leaflet insists on HTML): imported names are never markup (issue 12).
   Colours follow mapview.color_for. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var map = window[cfg.map];
  var select = document.getElementById("indicator");
  var slider = document.getElementById("quarter");
  var sliderLabel = document.getElementById("quarter-label");
  var current = cfg.initial;
  var quarter = cfg.quarters.length - 1;

  /* An element holding ``text`` as text. */
  function textElement(tag, text, className) {
    var element = L.DomUtil.create(tag, className || "");
    element.textContent = text;
    return element;
  }

  /* ``text`` with HTML's special characters escaped, for Leaflet's layer control, which
     sets each entry's name with innerHTML. */
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  /* A popup body: an optional title, then one table row per (label, value) pair. */
  function popupElement(className, title, rows) {
    var box = L.DomUtil.create("div", className);
    if (title !== null) { box.appendChild(title); }
    var table = L.DomUtil.create("table", "", box);
    rows.forEach(function (row) {
      var line = L.DomUtil.create("tr", "", table);
      line.appendChild(textElement("th", row[0]));
      line.appendChild(textElement("td", row[1]));
    });
    return box;
  }

  if (cfg.tiles) {
    L.tileLayer(cfg.tiles.url, {attribution: escapeHtml(cfg.tiles.attribution),
                                maxZoom: cfg.tiles.maxZoom}).addTo(map);
  }

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
    return {fillColor: colorFor(current, valueOf(feature)), color: cfg.border, weight: 0.8,
            fillOpacity: 0.75};
  }

  function communePopup(insee, name) {
    var title = L.DomUtil.create("div");
    title.appendChild(textElement("strong", name));
    title.appendChild(document.createTextNode(" (" + insee + ")"));
    var box = popupElement("commune-popup", title, cfg.popups[insee]);
    var link = textElement("a", cfg.labels.sheet);
    link.href = cfg.communeUrl.replace(cfg.placeholder, encodeURIComponent(insee));
    box.appendChild(link);
    if (cfg.challenges) {
      var open = openChallenges[insee] || 0;
      box.appendChild(textElement("div", cfg.challenges.openLabel + " : " + open,
                                  "open-challenges"));
      var report = textElement("a", cfg.challenges.label, "challenge-link");
      report.href = cfg.challenges.url + "?source=map&commune_insee=" +
        encodeURIComponent(insee);
      box.appendChild(report);
    }
    return box;
  }

  /* Open signalements per commune (same origin, JSON), shown in the commune popups. */
  var openChallenges = {};
  if (cfg.challenges) {
    fetch(cfg.challenges.countsUrl, {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (counts) { openChallenges = counts; })
      .catch(function () { openChallenges = {}; });
  }

  var communes = L.geoJSON(cfg.communes, {
    style: style,
    onEachFeature: function (feature, shape) {
      var props = feature.properties;
      shape.bindTooltip(function () { return textElement("div", props.name); },
                        {sticky: true, className: "map-tooltip"});
      if (cfg.popups[props.insee]) {
        shape.bindPopup(function () { return communePopup(props.insee, props.name); },
                        {maxWidth: 320});
      }
      shape.on("mouseover", function () { shape.setStyle({weight: 2.5, color: "#000"}); });
      shape.on("mouseout", function () { communes.resetStyle(shape); });
    }
  }).addTo(map);
  communes.eachLayer(function (shape) {
    var element = shape.getElement && shape.getElement();
    if (element) {
      element.setAttribute("data-insee", shape.feature.properties.insee);
      element.classList.add("commune-shape");
    }
  });

  /* National extent: the communes and the overlays as vector tiles (/tiles/…), coloured
     from each tile feature's own properties; a click shows them as text. */
  function vectorTileLayers(spec) {
    function tilePopup(latlng, rows, title, link) {
      var head = null;
      if (title) { head = L.DomUtil.create("div"); head.appendChild(textElement("strong", title)); }
      var box = popupElement("overlay-popup", head, rows);
      if (link) { box.appendChild(link); }
      L.popup({maxWidth: 320}).setLatLng(latlng).setContent(box).openOn(map);
    }
    function communeStyle(props) {
      var spec = cfg.indicators[current];
      return {fill: true, fillColor: colorFor(current, props[spec.column]), fillOpacity: 0.75,
              color: cfg.border, weight: 0.3};
    }
    var styles = {communes: communeStyle};
    var layer = L.vectorGrid.protobuf(spec.communes, {
      vectorTileLayerStyles: styles, interactive: true, maxNativeZoom: 14,
      getFeatureId: function (feature) { return feature.properties.insee; }
    });
    layer.on("click", function (e) {
      var props = e.layer.properties;
      var spec = cfg.indicators[current];
      var anchor = textElement("a", cfg.labels.sheet);
      anchor.href = cfg.communeUrl.replace(cfg.placeholder, encodeURIComponent(props.insee));
      var value = props[spec.column];
      // Tiles of a national view carry no names (tiles.FULL_PROPERTIES_FROM_ZOOM).
      tilePopup(e.latlng, [[spec.label, value === undefined ? "–" : String(value)]],
                props.name ? props.name + " (" + props.insee + ")" : props.insee, anchor);
    });
    var overlays = spec.overlays.map(function (entry) {
      var style = {};
      style[entry.layer] = {radius: 4, weight: 1, color: "#7a0177", fill: true,
                            fillColor: "#c51b8a", fillOpacity: 0.6};
      var overlay = L.vectorGrid.protobuf(entry.url, {
        vectorTileLayerStyles: style, interactive: true, maxNativeZoom: 14
      });
      overlay.on("click", function (e) {
        tilePopup(e.latlng, entry.popup.map(function (field) {
          var value = e.layer.properties[field[0]];
          return [field[1], value === undefined ? "–" : String(value)];
        }), null, null);
      });
      return {layer: overlay, name: entry.name};
    });
    return {communes: layer, overlays: overlays};
  }

  /* One overlay of the layer control: a GeoJSON layer (clustered for points), hidden at
     start (the commune choropleth is the first reading of the map). */
  function overlayLayer(entry) {
    var base = {color: entry.color || "#7a0177", fillColor: entry.color || "#c51b8a",
                weight: 3, fillOpacity: 0.7};
    if (entry.draw === "circles") {
      base = {color: "#7a0177", fillColor: "#c51b8a", fillOpacity: 0.5, weight: 1};
    } else if (entry.draw === "hexagons") {
      base = {color: "#54278f", weight: 0.3, fillOpacity: 0.7};
    }
    function styleOf(feature) { return L.extend({}, base, feature.style || {}); }
    var shapes = L.geoJSON(entry.data, {
      style: styleOf,
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, L.extend({radius: 5}, styleOf(feature)));
      },
      onEachFeature: function (feature, shape) {
        shape.bindPopup(function () {
          return popupElement("overlay-popup", null, entry.popup.map(function (field) {
            return [field[1], feature.properties[field[0]]];
          }));
        }, {maxWidth: 320});
      }
    });
    if (entry.draw !== "points") { return shapes; }
    return L.markerClusterGroup().addLayer(shapes);
  }

  var control = L.control.layers(null, null, {collapsed: false}).addTo(map);
  var tiled = cfg.vectorTiles ? vectorTileLayers(cfg.vectorTiles) : null;
  if (tiled) {
    map.removeLayer(communes);
    tiled.communes.addTo(map);
    control.addOverlay(tiled.communes, escapeHtml(cfg.labels.communes));
    tiled.overlays.forEach(function (entry) {
      control.addOverlay(entry.layer, escapeHtml(entry.name));
    });
  } else {
    control.addOverlay(communes, escapeHtml(cfg.labels.communes));
  }
  cfg.overlays.forEach(function (entry) {
    var overlay = overlayLayer(entry);
    overlay.layerName = entry.layer;
    control.addOverlay(overlay, escapeHtml(entry.name));
  });

  if (cfg.communes.features.length) {
    var search = new L.Control.Search({
      layer: communes, propertyName: "name", collapsed: false, position: "topleft",
      textPlaceholder: cfg.labels.search, textErr: escapeHtml(cfg.labels.notFound),
      marker: false,
      // leaflet-search writes a string tip with innerHTML: each tip is a text-only element.
      buildTip: function (text) { return textElement("a", text); },
      moveToLocation: function (latlng, title, target) {
        target.flyTo(latlng, target.getBoundsZoom(latlng.layer.getBounds()));
      }
    });
    search.on("search:locationfound", function (e) {
      if (e.layer.getPopup()) { e.layer.openPopup(); }
    });
    map.addControl(search);
  }
  if (cfg.bounds) { map.fitBounds(cfg.bounds); }

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
    div.appendChild(textElement("strong", spec.label + (
      current === "share" && cfg.quarterLabels.length ? " — " + cfg.quarterLabels[quarter]
        : "")));
    spec.legend.forEach(function (entry) {
      var row = L.DomUtil.create("div", "legend-row", div);
      var swatch = L.DomUtil.create("span", "swatch", row);
      swatch.style.background = entry.color;
      row.appendChild(textElement("span", entry.label));
    });
  }

  function redraw() {
    communes.options.style = style;  // resetStyle (hover) then keeps the current colours
    communes.setStyle(style);
    if (tiled) { tiled.communes.redraw(); }
    drawLegend();
    slider.disabled = current !== "share" || cfg.quarters.length === 0;
    sliderLabel.textContent = cfg.quarterLabels.length ? cfg.quarterLabels[quarter] : "–";
  }

  select.addEventListener("change", function () { current = select.value; redraw(); });
  slider.addEventListener("input", function () { quarter = Number(slider.value); redraw(); });
  redraw();
}());
